// The login both pages share: the check-in page and the admin page keep the
// same session in localStorage, so one login serves both.

/** The localStorage key of the session (a `storage` event with it means another tab logged in or out). */
export const STORAGE_KEY = 'signin-rewards.session';

/** A login: the bearer token, when it expires (RFC 3339) and whose it is. */
export interface Session { token: string; expiresAt: string; username: string }

/** The stored session, or null when there is none, it is unreadable or it has expired (then it is removed). */
export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s || typeof s.token !== 'string' || !s.token) return null;
    const exp = Date.parse(s.expiresAt);
    if (Number.isFinite(exp) && exp <= Date.now()) {
      localStorage.removeItem(STORAGE_KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

/** Stores `s`, or removes the stored session when `s` is null. */
export function saveSession(s: Session | null): void {
  try {
    if (s) localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode or storage disabled: the session then lasts for this page only.
  }
}
