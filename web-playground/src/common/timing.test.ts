import { describe, expect, it } from 'vitest';
import {
  FALLBACK_LIFETIME_MS, MAX_TIMER_MS, MIN_REFRESH_DELAY_MS, isExpired, jwtClaims, refreshDelayMs, serviceClockOffsetMs,
  tokenLifetimeMs,
} from './timing';

/** base64url of UTF-8 `text`, as in a JWT. */
function b64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unsigned JWT with `claims` (the page never checks signatures: only the times are read). */
function jwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => b64url(JSON.stringify(v));
  return `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}.c2ln`;
}

const T0 = Date.UTC(2026, 11, 6, 14, 0, 0); // the browser's clock when the token arrived

describe('jwtClaims', () => {
  it('reads the payload of a JWT (base64url, UTF-8)', () => {
    expect(jwtClaims(jwt({ sub: '42', iat: 100, exp: 1000, name: 'Zoë' }))).toEqual({ sub: '42', iat: 100, exp: 1000, name: 'Zoë' });
  });
  it('is null for anything else', () => {
    expect(jwtClaims('not-a-token')).toBeNull();
    expect(jwtClaims('a.b')).toBeNull();
    expect(jwtClaims('a..c')).toBeNull();
    expect(jwtClaims('a.!!!.c')).toBeNull();
    expect(jwtClaims(`x.${b64url('[1,2]')}.y`)).toBeNull();
  });
});

describe('tokenLifetimeMs', () => {
  it('is exp - iat of the token, whatever the clocks say', () => {
    // The service's test clock is hours behind the browser: expiresAt is "in the past" here.
    const iat = Math.floor(T0 / 1000) - 5 * 3600;
    const token = jwt({ sub: '1', iat, exp: iat + 900 });
    const expiresAt = new Date((iat + 900) * 1000).toISOString();
    expect(tokenLifetimeMs(token, expiresAt, T0)).toBe(900_000);
  });
  it('falls back to expiresAt on the browser clock, then to a minute', () => {
    expect(tokenLifetimeMs('opaque', new Date(T0 + 600_000).toISOString(), T0)).toBe(600_000);
    expect(tokenLifetimeMs('opaque', new Date(T0 - 1).toISOString(), T0)).toBe(FALLBACK_LIFETIME_MS);
    expect(tokenLifetimeMs('opaque', 'not a date', T0)).toBe(FALLBACK_LIFETIME_MS);
    // A JWT without iat, or with exp before iat, is read like an opaque token.
    expect(tokenLifetimeMs(jwt({ exp: 5 }), new Date(T0 + 30_000).toISOString(), T0)).toBe(30_000);
    expect(tokenLifetimeMs(jwt({ iat: 10, exp: 5 }), new Date(T0 + 30_000).toISOString(), T0)).toBe(30_000);
  });
});

describe('refreshDelayMs', () => {
  it('refreshes at 80% of the life, counted from when the token arrived', () => {
    expect(refreshDelayMs(900_000, T0, T0)).toBe(720_000);
    expect(refreshDelayMs(900_000, T0, T0 + 700_000)).toBe(20_000);
    expect(refreshDelayMs(20_000, T0, T0)).toBe(16_000);
  });
  it('is 0 once that moment has passed (a laptop that slept, a throttled tab)', () => {
    expect(refreshDelayMs(900_000, T0, T0 + 720_000)).toBe(0);
    expect(refreshDelayMs(900_000, T0, T0 + 86_400_000)).toBe(0);
  });
  it('waits at most what setTimeout keeps (about 24.8 days)', () => {
    expect(refreshDelayMs(864_000_000, T0, T0)).toBe(691_200_000); // SIGNIN_TOKEN_TTL_SECS=864000 (the browser test)
    expect(refreshDelayMs(90 * 86_400_000, T0, T0)).toBe(MAX_TIMER_MS);
  });
  it('never refreshes sooner than a second after a token arrived', () => {
    expect(refreshDelayMs(500, T0, T0)).toBe(MIN_REFRESH_DELAY_MS);
    expect(refreshDelayMs(0, T0, T0)).toBe(MIN_REFRESH_DELAY_MS);
  });
});

describe('isExpired', () => {
  it('is true from a little before the end of the life', () => {
    expect(isExpired(900_000, T0, T0)).toBe(false);
    expect(isExpired(900_000, T0, T0 + 897_999)).toBe(false);
    expect(isExpired(900_000, T0, T0 + 898_000)).toBe(true);
    expect(isExpired(900_000, T0, T0 + 900_000, 0)).toBe(true);
    expect(isExpired(900_000, T0, T0 + 899_999, 0)).toBe(false);
  });
});

describe('serviceClockOffsetMs', () => {
  it("is how far the service's clock (the token's iat) is from the browser's", () => {
    // A test clock two days ahead; the token arrived 300 ms after it was issued.
    const iat = Math.floor(T0 / 1000) + 2 * 86_400;
    expect(serviceClockOffsetMs(jwt({ iat, exp: iat + 900 }), T0 + 300)).toBe(2 * 86_400_000 - 300);
    // Five hours behind.
    expect(serviceClockOffsetMs(jwt({ iat: T0 / 1000 - 5 * 3600 }), T0)).toBe(-5 * 3_600_000);
  });
  it('is 0 when the token says nothing (the browser clock then)', () => {
    expect(serviceClockOffsetMs('opaque', T0)).toBe(0);
    expect(serviceClockOffsetMs(jwt({ exp: 5 }), T0)).toBe(0);
    expect(serviceClockOffsetMs(jwt({ iat: 'yesterday' }), T0)).toBe(0);
  });
});
