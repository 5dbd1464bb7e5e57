// Tiny GraphQL client for the pages: fetch for queries and mutations,
// graphql-ws for subscriptions. Same origin: POST /graphql and ws(s)://host/graphql.
// Every operation is a typed document generated from schema.graphql
// (src/generated/, `npm run codegen`), so its variables and its answer are checked.
import { createClient, type Client, type FormattedExecutionResult, type Sink } from 'graphql-ws';
import type { TypedDocumentString } from '../generated/graphql';

export const GRAPHQL_PATH = '/graphql';

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
}

/** An error from the API (GraphQL errors) or from the network. */
export class ApiError extends Error {
  readonly code: string;
  readonly errors: GraphQLErrorShape[];
  constructor(message: string, code: string, errors: GraphQLErrorShape[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.errors = errors;
  }

  /** `extensions.reason` of the first error (e.g. NOT_MISSED for MAKE_UP_NOT_ALLOWED), if any. */
  get reason(): string | undefined {
    const reason = this.errors[0]?.extensions?.reason;
    return typeof reason === 'string' ? reason : undefined;
  }

  /** `extensions.argument` of the first error: the argument a BAD_USER_INPUT names (e.g. timeZone). */
  get argument(): string | undefined {
    const argument = this.errors[0]?.extensions?.argument;
    return typeof argument === 'string' ? argument : undefined;
  }

  /** `extensions.retryAfter` of the first error, in seconds (LIMIT_REACHED of setTimeZone, RATE_LIMITED). */
  get retryAfter(): number | undefined {
    const seconds = this.errors[0]?.extensions?.retryAfter;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  }
}

/**
 * A fresh idempotency key (a UUID v4) for one click. `crypto.randomUUID` exists
 * only in secure contexts (https, localhost), so plain http on another host
 * builds the same kind of UUID from `crypto.getRandomValues`.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function errorFromList(errors: GraphQLErrorShape[]): ApiError {
  const first = errors[0] ?? { message: 'Unknown error' };
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'UNKNOWN';
  return new ApiError(first.message || 'Unknown error', code, errors);
}

/** Turns anything a subscription sink may receive as an error into an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (Array.isArray(err)) return errorFromList(err as GraphQLErrorShape[]);
  if (typeof CloseEvent !== 'undefined' && err instanceof CloseEvent) {
    return new ApiError(`Live connection closed (${err.code}${err.reason ? ` ${err.reason}` : ''})`, 'NETWORK');
  }
  if (err instanceof Error) return new ApiError(err.message, 'NETWORK');
  return new ApiError(String(err), 'UNKNOWN');
}

/**
 * The request header that asks the service to keep the refresh token in the
 * HttpOnly cookie `signin_refresh` (and answer `refreshToken: null`), sent with
 * register, login, changePassword and refreshSession.
 */
export const SESSION_COOKIE_HEADER = { 'Signin-Session': 'cookie' } as const;

export interface GqlOptions {
  /** Send `Signin-Session: cookie` (see SESSION_COOKIE_HEADER). */
  sessionCookie?: boolean;
}

/**
 * Runs a query or mutation over `POST /graphql`. `variables` are checked
 * against the document's; an operation without any takes `{}` (then none are sent).
 * `token` is the access token (null: none). Pages call this through
 * `call()` of ../common/session.ts, which adds the token and refreshes it.
 */
export async function gql<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  token: string | null,
  options: GqlOptions = {},
): Promise<T> {
  const query = document.toString();
  const vars = variables as Record<string, unknown> | undefined;
  const hasVariables = !!vars && Object.keys(vars).length > 0;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    // With application/json the server answers 200 for every executed operation
    // and puts errors (with extensions.code) in the body.
    Accept: 'application/json',
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.sessionCookie) Object.assign(headers, SESSION_COOKIE_HEADER);
  let res: Response;
  try {
    res = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers,
      body: JSON.stringify(hasVariables ? { query, variables: vars } : { query }),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError('Cannot reach the server. Check your connection and try again.', 'NETWORK');
  }
  let body: { data?: T | null; errors?: GraphQLErrorShape[] } | null = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (body && Array.isArray(body.errors) && body.errors.length > 0) {
    throw errorFromList(body.errors);
  }
  if (!res.ok || !body || body.data == null) {
    if (res.status === 401) throw new ApiError('Your session has ended.', 'UNAUTHENTICATED');
    if (res.status === 429) throw new ApiError('Too many requests.', 'RATE_LIMITED');
    throw new ApiError(`The server answered ${res.status} ${res.statusText}`.trim(), 'HTTP_ERROR');
  }
  return body.data;
}

export function wsUrl(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${GRAPHQL_PATH}`;
}

export interface LiveHandlers {
  onConnected(reconnected: boolean): void;
  onClosed(code: number | undefined): void;
}

/** A graphql-ws client, and `reconnect()`: close the socket and open a new one at once (a new token). */
export interface LiveClient {
  client: Client;
  reconnect(): void;
}

/**
 * A graphql-ws client that authenticates with the access token in
 * connection_init: `token()` is asked at every (re)connection, so a reconnect
 * after a refresh sends the new one. A close with 4401/4403 (the token or its
 * session is no longer accepted) is not retried: the subscriptions get it as
 * an error, and the page refreshes the token and starts a new client.
 */
export function createLiveClient(token: () => string, handlers: LiveHandlers): LiveClient {
  let connectedOnce = false;
  // A reconnect asked for (a new token) goes at once; other retries back off.
  let immediate = false;
  const client = createClient({
    url: wsUrl(),
    // Connect on the first subscription (made right after login), close with the last one.
    lazy: true,
    keepAlive: 20_000,
    retryAttempts: 1_000_000,
    // Retry network trouble; give up when the server refuses our credentials.
    shouldRetry: (event) => {
      const code = (event as CloseEvent | undefined)?.code;
      return code !== 4401 && code !== 4403;
    },
    retryWait: async (retries) => {
      if (immediate) {
        immediate = false;
        return;
      }
      // graphql-ws's own backoff: 2^retries seconds plus 0.3 to 3 s.
      const ms = 2 ** retries * 1000 + Math.floor(Math.random() * 2700 + 300);
      await new Promise((resolve) => window.setTimeout(resolve, ms));
    },
    connectionParams: () => ({ Authorization: `Bearer ${token()}` }),
    on: {
      connected: () => {
        handlers.onConnected(connectedOnce);
        connectedOnce = true;
      },
      closed: (event) => handlers.onClosed((event as CloseEvent | undefined)?.code),
    },
  });
  return {
    client,
    reconnect: () => {
      immediate = true;
      // Closes the socket (4499, retried): the subscriptions are sent again on the new one.
      client.terminate();
    },
  };
}

/** A subscription (without variables) on `client`, its answers typed by `document`. */
export function subscribe<T, V extends Record<string, never>>(
  client: Client,
  document: TypedDocumentString<T, V>,
  sink: Sink<FormattedExecutionResult<T>>,
): () => void {
  return client.subscribe<T>({ query: document.toString() }, sink);
}
