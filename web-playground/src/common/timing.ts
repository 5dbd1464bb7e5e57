// When to refresh the access token: pure arithmetic, no browser (timing.test.ts).
//
// The service's clock is not the browser's (a test clock, SIGNIN_NOW, may be
// hours away; a phone's clock may be wrong), so `expiresAt` is never compared
// with `Date.now()`. What counts is how long the token lives: `exp - iat` of the
// token (both on the service's clock), counted from when the browser received
// it. Only when the token cannot be read (not a JWT) is `expiresAt` compared
// with the browser's clock, with a floor.

/** Refresh when this share of the token's life has passed. */
export const REFRESH_AT = 0.8;
/** Never schedule a refresh sooner than this after receiving a token (a token that lives a few seconds). */
export const MIN_REFRESH_DELAY_MS = 1_000;
/** A token whose life cannot be read at all is refreshed after this. */
export const FALLBACK_LIFETIME_MS = 60_000;
/** The longest delay `setTimeout` keeps (a longer one fires at once): a token living weeks is refreshed by then. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The claims of a JWT's payload, or null when `token` is not a JWT (nothing is verified: only for timing). */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const json = decodeURIComponent(
      [...atob(padded)].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    );
    const claims = JSON.parse(json) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * How long a token lives, in ms: its `exp - iat` when it is a JWT with both,
 * else `expiresAt` minus when it was received (the browser's clock), else
 * FALLBACK_LIFETIME_MS.
 */
export function tokenLifetimeMs(token: string, expiresAt: string, receivedAt: number): number {
  const claims = jwtClaims(token);
  const iat = claims?.iat;
  const exp = claims?.exp;
  if (typeof iat === 'number' && typeof exp === 'number' && exp > iat) return (exp - iat) * 1000;
  const until = Date.parse(expiresAt) - receivedAt;
  return Number.isFinite(until) && until > 0 ? until : FALLBACK_LIFETIME_MS;
}

/**
 * Milliseconds from `now` until the refresh of a token that lives `lifetimeMs`
 * and was received at `receivedAt`: at REFRESH_AT of its life, never sooner
 * than MIN_REFRESH_DELAY_MS after receiving it, 0 when that moment has passed
 * (a sleeping laptop, a throttled background tab), at most MAX_TIMER_MS.
 */
export function refreshDelayMs(lifetimeMs: number, receivedAt: number, now: number): number {
  const at = receivedAt + Math.max(lifetimeMs * REFRESH_AT, MIN_REFRESH_DELAY_MS);
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.round(at - now)));
}

/** True when a token that lives `lifetimeMs`, received at `receivedAt`, has expired by `now` (or will within `marginMs`). */
export function isExpired(lifetimeMs: number, receivedAt: number, now: number, marginMs = 2_000): boolean {
  return now >= receivedAt + lifetimeMs - marginMs;
}

/**
 * How far the service's clock is ahead of the browser's (ms; negative when
 * behind), read from when the token was issued (its `iat`, on the service's
 * clock) and when the browser received it: `Date.now()` plus this is the
 * service's time, for a countdown to an instant the service chose (the end of
 * the user's day). `iat` is in whole seconds and the answer took a moment to
 * arrive, so this runs up to a second or so behind; 0 when the token is not
 * a JWT (the browser's clock is all there is then).
 */
export function serviceClockOffsetMs(token: string, receivedAt: number): number {
  const iat = jwtClaims(token)?.iat;
  return typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 - receivedAt : 0;
}
