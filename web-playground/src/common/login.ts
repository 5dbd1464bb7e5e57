// The login form both pages share (index.html and admin.html use the same ids):
// its elements and the login/register mutations that turn it into a session.
import { ApiError, gql } from '../checkin/api';
import { startSession, type AuthPayload, type Session } from './session';
import { LoginDocument, RegisterDocument } from '../generated/graphql';

/** The element with `id`; a page without it is a broken build, so this throws. */
export function el<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

/** The top bar (who is logged in, log out), the error line and the login form. */
export function authElements() {
  return {
    who: el('who'),
    whoName: el('who-name'),
    logout: el<HTMLButtonElement>('logout'),
    error: el('error'),
    auth: el('auth'),
    authForm: el<HTMLFormElement>('auth-form'),
    username: el<HTMLInputElement>('username'),
    password: el<HTMLInputElement>('password'),
    login: el<HTMLButtonElement>('login'),
  };
}

/**
 * `register`, in the time zone `timeZone` (IANA; left out: the service's
 * default). The zone is the browser's, and the service's zone database may
 * not know every name a browser gives: refused as BAD_USER_INPUT naming
 * `timeZone`, the account is registered once more without it (nothing was
 * created by the refused call). The person can choose their zone later.
 */
async function register(username: string, password: string, timeZone?: string): Promise<AuthPayload> {
  const send = (zone?: string) => gql(
    RegisterDocument, zone ? { username, password, timeZone: zone } : { username, password }, null, { sessionCookie: true },
  );
  try {
    return (await send(timeZone)).register;
  } catch (err) {
    if (!timeZone || !(err instanceof ApiError) || err.code !== 'BAD_USER_INPUT' || err.argument !== 'timeZone') throw err;
    return (await send()).register;
  }
}

/**
 * Logs in (or registers, in `timeZone` when given) with the API and returns the
 * new session and its user. Sent with `Signin-Session: cookie`: the refresh
 * token goes into the HttpOnly cookie, the access token into memory (session.ts).
 * Throws the API's error (INVALID_CREDENTIALS, BAD_USER_INPUT, RATE_LIMITED, ...) as an ApiError.
 */
export async function authenticate(
  mode: 'login' | 'register',
  username: string,
  password: string,
  timeZone?: string,
): Promise<{ session: Session; user: AuthPayload['user'] }> {
  const payload = mode === 'register'
    ? await register(username, password, timeZone)
    : (await gql(LoginDocument, { username, password }, null, { sessionCookie: true })).login;
  if (!payload) throw new ApiError('Unexpected answer from the server', 'UNKNOWN');
  return { session: startSession(payload), user: payload.user };
}
