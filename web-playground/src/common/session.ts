// The session both pages share (check-in `/` and admin `/admin`).
//
// Nothing of it is stored by a script: the access token lives in this module's
// memory only, and the refresh token in the HttpOnly cookie `signin_refresh`
// that the service sets when login, register, changePassword or refreshSession
// is sent with `Signin-Session: cookie` (the page never sees it). So:
//
// - on page load, `resume()` calls `refreshSession` (no argument) and gets an
//   access token from the cookie, or UNAUTHENTICATED (then the login form);
// - the token is refreshed ahead of its expiry (REFRESH_AT of its life, timing.ts),
//   and once when any call is answered UNAUTHENTICATED (`call()` then retries that
//   call once); when the refresh is refused the session has ended: the page's
//   `onEnded` shows the login form;
// - signing out calls `signOut` (the service clears the cookie) and tells the
//   other tabs and pages over `BroadcastChannel('signin-rewards')`; a tab that
//   misses the message finds out on its next refresh. The tab announces the
//   sign-out before it calls the service ('signing-out'): the service closes the
//   session's live sockets in every tab as soon as it ends the session, and a tab
//   whose socket closes first must still say "signed out in another tab", not
//   "your session has ended".
//
// Two tabs refreshing at once is fine: the service answers a refresh token
// spent within its grace window with the same new pair.
import { ApiError, gql, type GqlOptions } from '../checkin/api';
import {
  RefreshSessionDocument, SignOutDocument, SignOutEverywhereDocument, type AuthFieldsFragment,
  type TypedDocumentString,
} from '../generated/graphql';
import { isExpired, refreshDelayMs, tokenLifetimeMs } from './timing';

/** What `login`, `register` and `refreshSession` answer (the AuthFields fragment of auth.graphql). */
export type AuthPayload = AuthFieldsFragment;
export type SessionUser = AuthPayload['user'];

/**
 * A login as this page knows it: the access token (memory only), when the
 * service says it expires, whose it is. The object stays the same for the whole
 * login (a refresh changes its token), so `state.session === session` tells a
 * late answer from an older login apart.
 */
export interface Session {
  token: string;
  expiresAt: string;
  username: string;
  userId: string;
  /** How long the token lives (ms) and when it arrived (browser clock): see timing.ts. */
  lifetimeMs: number;
  receivedAt: number;
}

/** Why a session ended here: signed out on this page, ended on the service (refused refresh), or signed out in another tab. */
export type EndReason = 'signed-out' | 'expired' | 'elsewhere';

export interface SessionHandlers {
  /** The token was refreshed (the WebSocket should reconnect with it). */
  onRefreshed?(session: Session): void;
  /** The session ended (show the login form; 'expired' with "Your session has ended…"). */
  onEnded(reason: EndReason): void;
  /** Another tab or page logged in while this one was logged out, or as someone else: start with this session. */
  onResumed(session: Session, user: SessionUser): void;
}

/** The key older versions kept the session (and its token) under in localStorage: removed on load. */
const LEGACY_STORAGE_KEY = 'signin-rewards.session';
const CHANNEL = 'signin-rewards';
/** After a refresh that failed for another reason than UNAUTHENTICATED (network), try again after this. */
const RETRY_MS = 15_000;

/** How long after another tab announced a sign-out a refused refresh here counts as that sign-out. */
const SIGNING_OUT_WINDOW_MS = 30_000;

type Message = { type: 'signed-in'; userId: string } | { type: 'signing-out' } | { type: 'signed-out' };

let current: Session | null = null;
let handlers: SessionHandlers | null = null;
let timer: number | undefined;
let refreshing: Promise<'ok' | 'ended' | 'failed'> | null = null;
let channel: BroadcastChannel | null = null;
/** Set while signOut() runs: a refusal on the way ends the session as 'signed-out', not 'expired'. */
let signingOut = false;
/** Until when (Date.now() ms) a refusal here is another tab's sign-out ('elsewhere'), not 'expired'. */
let othersSigningOutUntil = 0;

/** The session of this page, or null when logged out. */
export function currentSession(): Session | null {
  return current;
}

/** The current access token ('' when logged out: the API then answers UNAUTHENTICATED). */
export function accessToken(): string {
  return current?.token ?? '';
}

function broadcast(message: Message): void {
  try {
    channel?.postMessage(message);
  } catch {
    // The channel is closed (page unloading): nothing to tell.
  }
}

/** Wires the page's handlers, listens to the other tabs, and forgets a token an older version stored. */
export function initSessions(h: SessionHandlers): void {
  handlers = h;
  try {
    localStorage.removeItem(LEGACY_STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was stored either.
  }
  if (typeof BroadcastChannel === 'function' && !channel) {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (ev: MessageEvent<Message>) => {
      const m = ev.data;
      if (m?.type === 'signing-out') {
        othersSigningOutUntil = Date.now() + SIGNING_OUT_WINDOW_MS;
      } else if (m?.type === 'signed-out') {
        othersSigningOutUntil = 0;
        if (current) end('elsewhere');
      } else if (m?.type === 'signed-in') {
        // The cookie now belongs to that login: take it up when logged out, or logged in as someone else.
        if (!current || current.userId !== m.userId) void resumeFromOtherTab();
      }
    };
  }
  // A background tab's timers run late: catch up when it is shown again.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && current
      && refreshDelayMs(current.lifetimeMs, current.receivedAt, Date.now()) === 0) {
      void refreshNow();
    }
  });
}

function fromPayload(payload: AuthPayload): Session {
  const receivedAt = Date.now();
  return {
    token: payload.token,
    expiresAt: payload.expiresAt,
    username: payload.user.username,
    userId: payload.user.id,
    lifetimeMs: tokenLifetimeMs(payload.token, payload.expiresAt, receivedAt),
    receivedAt,
  };
}

function schedule(delayMs?: number): void {
  window.clearTimeout(timer);
  timer = undefined;
  const s = current;
  if (!s) return;
  const ms = delayMs ?? refreshDelayMs(s.lifetimeMs, s.receivedAt, Date.now());
  timer = window.setTimeout(() => {
    if (current === s) void refreshNow();
  }, ms);
}

/** Starts the session `payload` opened (login, register): schedules its refresh and tells the other tabs. */
export function startSession(payload: AuthPayload): Session {
  current = fromPayload(payload);
  schedule();
  broadcast({ type: 'signed-in', userId: current.userId });
  return current;
}

/** Forgets the session here (no call to the service) and tells the page. */
function end(reason: EndReason): void {
  window.clearTimeout(timer);
  timer = undefined;
  current = null;
  refreshing = null;
  const elsewhere = reason === 'expired' && Date.now() < othersSigningOutUntil;
  othersSigningOutUntil = 0;
  handlers?.onEnded(signingOut ? 'signed-out' : elsewhere ? 'elsewhere' : reason);
}

/** `refreshSession` from the cookie: the new pair, or null when the service says there is no live session. */
async function refreshFromCookie(): Promise<AuthPayload | null> {
  try {
    return (await gql(RefreshSessionDocument, {}, null, { sessionCookie: true })).refreshSession;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') return null;
    throw err;
  }
}

/**
 * On page load: an access token from the refresh cookie, if the browser holds
 * one of a live session. Null when it does not (show the login form); throws
 * on other trouble (the service unreachable).
 */
export async function resume(): Promise<{ session: Session; user: SessionUser } | null> {
  const payload = await refreshFromCookie();
  if (!payload) return null;
  current = fromPayload(payload);
  schedule();
  return { session: current, user: payload.user };
}

async function resumeFromOtherTab(): Promise<void> {
  try {
    const previous = current;
    const payload = await refreshFromCookie();
    if (!payload || current !== previous) return;
    if (previous && previous.userId === payload.user.id) return;
    current = fromPayload(payload);
    schedule();
    handlers?.onResumed(current, payload.user);
  } catch {
    // Unreachable now: this tab stays as it is.
  }
}

/**
 * Refreshes the access token now (one refresh at a time: concurrent callers
 * share it). 'ok': the session has a new token; 'ended': the service refused
 * (the session is over, the page was told); 'failed': the service could not be
 * reached, the session stays and a new attempt is scheduled.
 */
export function refreshNow(): Promise<'ok' | 'ended' | 'failed'> {
  const s = current;
  if (!s) return Promise.resolve('ended');
  if (refreshing) return refreshing;
  const attempt = (async (): Promise<'ok' | 'ended' | 'failed'> => {
    let payload: AuthPayload | null;
    try {
      payload = await refreshFromCookie();
    } catch {
      if (current === s) schedule(RETRY_MS);
      return 'failed';
    }
    if (current !== s) return current ? 'ok' : 'ended';
    if (!payload || payload.user.id !== s.userId) {
      // The cookie's session is over, or now belongs to someone else's login.
      end('expired');
      return 'ended';
    }
    const next = fromPayload(payload);
    s.token = next.token;
    s.expiresAt = next.expiresAt;
    s.lifetimeMs = next.lifetimeMs;
    s.receivedAt = next.receivedAt;
    schedule();
    handlers?.onRefreshed?.(s);
    return 'ok';
  })();
  refreshing = attempt;
  void attempt.finally(() => {
    if (refreshing === attempt) refreshing = null;
  });
  return attempt;
}

/** Called when something (a WebSocket closed with 4401) says the token is refused: refresh once, unless it already changed. */
export async function tokenRefused(token: string): Promise<'ok' | 'ended' | 'failed'> {
  if (!current) return 'ended';
  if (current.token !== token) return 'ok';
  return refreshNow();
}

/**
 * Runs a query or mutation with the session's access token. A token that has
 * run out is refreshed first; an UNAUTHENTICATED answer refreshes the token
 * once and the call is sent again once. When the refresh is refused, the
 * session has ended (the page shows the login form) and the call throws
 * UNAUTHENTICATED. A call refused before it ran may be sent again safely
 * (mutations that move points carry an idempotency key anyway).
 */
export async function call<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  options: GqlOptions = {},
): Promise<T> {
  const s = current;
  if (!s) throw new ApiError('Your session has ended.', 'UNAUTHENTICATED');
  if (isExpired(s.lifetimeMs, s.receivedAt, Date.now())) {
    await refreshNow();
    if (current !== s) throw new ApiError('Your session has ended.', 'UNAUTHENTICATED');
  }
  const sent = s.token;
  try {
    return await gql(document, variables, sent, options);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'UNAUTHENTICATED' || current !== s) throw err;
    // Another call may have refreshed meanwhile: then only send again.
    if (s.token === sent) {
      const result = await refreshNow();
      if (result === 'failed') {
        throw new ApiError('Cannot reach the server. Check your connection and try again.', 'NETWORK');
      }
      if (result === 'ended') throw err;
    }
    if (current !== s) throw err;
    return gql(document, variables, s.token, options);
  }
}

/**
 * `fetch` with the access token (a CSV export), refreshing it once on a 401
 * as `call` does on UNAUTHENTICATED.
 */
export async function fetchWithToken(path: string): Promise<Response> {
  const s = current;
  if (!s) return new Response(null, { status: 401 });
  if (isExpired(s.lifetimeMs, s.receivedAt, Date.now())) await refreshNow();
  const send = () => fetch(path, { headers: { Authorization: `Bearer ${s.token}` }, credentials: 'same-origin' });
  const sent = s.token;
  const res = await send();
  if (res.status !== 401 || current !== s) return res;
  if (s.token === sent && (await refreshNow()) !== 'ok') return res;
  return current === s ? send() : res;
}

/**
 * Signs out: `signOut` ends the session on the service and clears the cookie;
 * then this page and the other tabs forget it. The page is told (`onEnded`,
 * 'signed-out') even when the service could not be reached; the error, if any,
 * is returned for the page to show.
 */
export async function signOut(): Promise<ApiError | null> {
  if (!current) return null;
  let error: ApiError | null = null;
  signingOut = true;
  broadcast({ type: 'signing-out' });
  try {
    await call(SignOutDocument, {});
  } catch (err) {
    // UNAUTHENTICATED: the session had already ended, which is what was asked.
    const e = err instanceof ApiError ? err : new ApiError(String(err), 'UNKNOWN');
    if (e.code !== 'UNAUTHENTICATED') error = e;
  } finally {
    signingOut = false;
  }
  broadcast({ type: 'signed-out' });
  if (current) end('signed-out');
  return error;
}

/** The page found the session refused where session.ts could not tell: forget it here ('expired'). */
export function forgetSession(): void {
  if (current) end('expired');
}

/**
 * `signOutEverywhere`: ends every session of the user, this one included;
 * then this page and the other tabs forget it ('signed-out', also when the
 * service's close of the live socket comes first). Answers how many sessions
 * ended; throws the API's error, the session then stays.
 */
export async function signOutEverywhere(): Promise<number> {
  if (!current) return 0;
  let ended: number;
  signingOut = true;
  broadcast({ type: 'signing-out' });
  try {
    ended = (await call(SignOutEverywhereDocument, {})).signOutEverywhere;
  } finally {
    signingOut = false;
  }
  broadcast({ type: 'signed-out' });
  if (current) end('signed-out');
  return ended;
}
