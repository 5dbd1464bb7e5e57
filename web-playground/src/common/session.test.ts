// The session's rules (session.ts) with a scripted service in place of fetch,
// fake timers, and no browser: what is sent, when the token is refreshed, that
// an UNAUTHENTICATED answer refreshes once and sends the call again once, how
// a session ends, and registering in the device's time zone (login.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EndReason, Session, SessionHandlers } from './session';

const T0 = Date.UTC(2026, 11, 6, 14, 0, 0);

function b64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

let serial = 0;
/** An access token that lives `ttl` seconds on a service clock 5 hours behind the browser's. */
function token(ttl = 900): string {
  serial += 1;
  const iat = Math.floor(Date.now() / 1000) - 5 * 3600;
  return `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: '7', sid: serial, iat, exp: iat + ttl }))}.sig`;
}

function payload(t: string, ttl = 900) {
  return {
    token: t,
    expiresAt: new Date(Date.now() - 5 * 3600_000 + ttl * 1000).toISOString(),
    user: { id: '7', username: 'ann', role: 'USER' },
  };
}

const UNAUTHENTICATED = { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] };

interface Sent { op: string; auth: string | null; cookieHeader: string | null; body: Record<string, unknown> }

/** The scripted service: `answer(op, auth)` gives each request's JSON body (or throws: a network error). */
function service(answer: (op: string, auth: string | null) => unknown) {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as Record<string, unknown>;
    const headers = init.headers as Record<string, string>;
    const op = /^\s*(?:query|mutation)\s+(\w+)/m.exec(String(body.query))?.[1] ?? '';
    const auth = headers.Authorization ?? null;
    sent.push({ op, auth, cookieHeader: headers['Signin-Session'] ?? null, body });
    const json = answer(op, auth);
    return new Response(JSON.stringify(json), { status: 200, headers: { 'Content-Type': 'application/json' } });
  }));
  return sent;
}

/** A BroadcastChannel shared by the "tabs" of one test. */
class FakeChannel {
  static all: FakeChannel[] = [];
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor() { FakeChannel.all.push(this); }
  postMessage(data: unknown) {
    for (const c of FakeChannel.all) if (c !== this) c.onmessage?.({ data });
  }
}

async function load(overrides: Partial<SessionHandlers> = {}) {
  const ended: EndReason[] = [];
  const refreshed: string[] = [];
  const mod = await import('./session');
  mod.initSessions({
    onEnded: (r) => ended.push(r),
    onRefreshed: (s: Session) => refreshed.push(s.token),
    onResumed: () => {},
    ...overrides,
  });
  return { mod, ended, refreshed };
}

beforeEach(async () => {
  vi.resetModules();
  vi.useFakeTimers({ now: T0 });
  FakeChannel.all = [];
  vi.stubGlobal('window', globalThis);
  vi.stubGlobal('document', { addEventListener: () => {}, visibilityState: 'visible' });
  vi.stubGlobal('localStorage', { removeItem: vi.fn() });
  vi.stubGlobal('BroadcastChannel', FakeChannel);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('resume (page load)', () => {
  it('asks refreshSession with the cookie header and no argument; none: the login form', async () => {
    const sent = service(() => UNAUTHENTICATED);
    const { mod } = await load();
    expect(await mod.resume()).toBeNull();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ op: 'RefreshSession', auth: null, cookieHeader: 'cookie' });
    expect(sent[0].body.variables).toBeUndefined();
    expect(mod.currentSession()).toBeNull();
    // An older version's stored token is removed.
    expect(localStorage.removeItem).toHaveBeenCalledWith('signin-rewards.session');
  });

  it('keeps the token in memory and refreshes it at 80% of its life', async () => {
    const first = token();
    const second = token();
    let refreshes = 0;
    const sent = service(() => {
      refreshes += 1;
      return { data: { refreshSession: payload(refreshes === 1 ? first : second) } };
    });
    const { mod, refreshed } = await load();
    const resumed = await mod.resume();
    expect(resumed?.session.token).toBe(first);
    expect(mod.accessToken()).toBe(first);
    await vi.advanceTimersByTimeAsync(719_000);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ op: 'RefreshSession', cookieHeader: 'cookie' });
    expect(mod.accessToken()).toBe(second);
    // The same session object, with the new token: late answers of this login still count.
    expect(mod.currentSession()).toBe(resumed?.session);
    expect(refreshed).toEqual([second]);
  });
});

describe('call', () => {
  it('sends the token; an UNAUTHENTICATED answer refreshes once and sends again once', async () => {
    const first = token();
    const second = token();
    const sent = service((op, auth) => {
      if (op === 'RefreshSession') return { data: { refreshSession: payload(sent.length === 1 ? first : second) } };
      if (auth === `Bearer ${first}`) return UNAUTHENTICATED;
      return { data: { signOutEverywhere: 3 } };
    });
    const { mod } = await load();
    await mod.resume();
    const { SignOutEverywhereDocument } = await import('../generated/graphql');
    // Two calls at once, both refused: one refresh between them.
    const [x, y] = await Promise.all([mod.call(SignOutEverywhereDocument, {}), mod.call(SignOutEverywhereDocument, {})]);
    expect(x.signOutEverywhere).toBe(3);
    expect(y.signOutEverywhere).toBe(3);
    expect(sent.map((s) => s.op)).toEqual([
      'RefreshSession', 'SignOutEverywhere', 'SignOutEverywhere', 'RefreshSession', 'SignOutEverywhere', 'SignOutEverywhere',
    ]);
    expect(sent.slice(4).map((s) => s.auth)).toEqual([`Bearer ${second}`, `Bearer ${second}`]);
    expect(sent[1].cookieHeader).toBeNull();
  });

  it('a refused refresh ends the session: the call throws UNAUTHENTICATED and is not sent again', async () => {
    const sent = service((op) => (op === 'RefreshSession' && sent.length === 1
      ? { data: { refreshSession: payload(token()) } }
      : UNAUTHENTICATED));
    const { mod, ended } = await load();
    await mod.resume();
    const { SignOutEverywhereDocument } = await import('../generated/graphql');
    await expect(mod.call(SignOutEverywhereDocument, {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(sent.map((s) => s.op)).toEqual(['RefreshSession', 'SignOutEverywhere', 'RefreshSession']);
    expect(ended).toEqual(['expired']);
    expect(mod.currentSession()).toBeNull();
  });

  it('a refresh that cannot reach the service keeps the session and says so', async () => {
    let offline = false;
    service((op) => {
      if (offline && op === 'RefreshSession') throw new Error('offline');
      if (op === 'RefreshSession') return { data: { refreshSession: payload(token()) } };
      return UNAUTHENTICATED;
    });
    const { mod, ended } = await load();
    await mod.resume();
    offline = true;
    const { SignOutEverywhereDocument } = await import('../generated/graphql');
    await expect(mod.call(SignOutEverywhereDocument, {})).rejects.toMatchObject({ code: 'NETWORK' });
    expect(ended).toEqual([]);
    expect(mod.currentSession()).not.toBeNull();
  });

  it('refreshes first when the token is past its life (timers held back)', async () => {
    const first = token(20);
    const second = token(20);
    const sent = service((op) => (op === 'RefreshSession'
      ? { data: { refreshSession: payload(sent.length === 1 ? first : second, 20) } }
      : { data: { signOutEverywhere: 1 } }));
    const { mod } = await load();
    await mod.resume();
    // The clock jumps (a laptop wakes up) without the timer having run.
    vi.setSystemTime(T0 + 60_000);
    const { SignOutEverywhereDocument } = await import('../generated/graphql');
    await mod.call(SignOutEverywhereDocument, {});
    expect(sent.map((s) => s.op)).toEqual(['RefreshSession', 'RefreshSession', 'SignOutEverywhere']);
    expect(sent[2].auth).toBe(`Bearer ${second}`);
  });
});

describe('signing out', () => {
  it('signOut ends the session with the service, here and in the other tabs', async () => {
    const t = token();
    const sent = service((op) => (op === 'RefreshSession'
      ? { data: { refreshSession: payload(t) } }
      : { data: { signOut: true } }));
    const { mod, ended } = await load();
    await mod.resume();
    // Another tab listening on the channel.
    const other = new FakeChannel();
    const heard: unknown[] = [];
    other.onmessage = (ev) => heard.push(ev.data);
    expect(await mod.signOut()).toBeNull();
    expect(sent[1]).toMatchObject({ op: 'SignOut', auth: `Bearer ${t}` });
    expect(ended).toEqual(['signed-out']);
    expect(heard).toEqual([{ type: 'signing-out' }, { type: 'signed-out' }]);
    expect(mod.currentSession()).toBeNull();
  });

  it('a sign-out in another tab ends the session here without a call', async () => {
    const sent = service(() => ({ data: { refreshSession: payload(token()) } }));
    const { mod, ended } = await load();
    await mod.resume();
    new FakeChannel().postMessage({ type: 'signed-out' });
    expect(ended).toEqual(['elsewhere']);
    expect(sent).toHaveLength(1);
  });

  it('a refusal that beats another tab\'s sign-out message still reads as that sign-out', async () => {
    // The service closes this tab's socket (4401) when the other tab's signOut ends
    // the session, which can arrive before the 'signed-out' message.
    let live = true;
    service(() => (live ? { data: { refreshSession: payload(token()) } } : UNAUTHENTICATED));
    const { mod, ended } = await load();
    await mod.resume();
    const other = new FakeChannel();
    other.postMessage({ type: 'signing-out' });
    live = false;
    expect(await mod.refreshNow()).toBe('ended');
    other.postMessage({ type: 'signed-out' });
    expect(ended).toEqual(['elsewhere']);
  });

  it('without another tab signing out, a refused refresh is an ended session', async () => {
    let live = true;
    service(() => (live ? { data: { refreshSession: payload(token()) } } : UNAUTHENTICATED));
    const { mod, ended } = await load();
    await mod.resume();
    live = false;
    expect(await mod.refreshNow()).toBe('ended');
    expect(ended).toEqual(['expired']);
  });

  it('signOutEverywhere answers how many and ends the session as signed out', async () => {
    service((op) => (op === 'RefreshSession'
      ? { data: { refreshSession: payload(token()) } }
      : { data: { signOutEverywhere: 2 } }));
    const { mod, ended } = await load();
    await mod.resume();
    expect(await mod.signOutEverywhere()).toBe(2);
    expect(ended).toEqual(['signed-out']);
  });
});

describe('register (login.ts)', () => {
  const badInput = (argument: string) => ({ errors: [{ message: `${argument}: no`, extensions: { code: 'BAD_USER_INPUT', argument } }] });

  it("sends the device's time zone with the cookie header", async () => {
    const sent = service(() => ({ data: { register: payload(token()) } }));
    await load();
    const { authenticate } = await import('./login');
    const { user } = await authenticate('register', 'ann', 'correct-horse', 'Europe/Paris');
    expect(user.username).toBe('ann');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ op: 'Register', cookieHeader: 'cookie' });
    expect(sent[0].body.variables).toEqual({ username: 'ann', password: 'correct-horse', timeZone: 'Europe/Paris' });
  });

  it('registers once more without the zone when the service does not know it', async () => {
    const sent = service(() => (sent.length === 1 ? badInput('timeZone') : { data: { register: payload(token()) } }));
    const { mod } = await load();
    const { authenticate } = await import('./login');
    const { session } = await authenticate('register', 'ann', 'correct-horse', 'Mars/Olympus');
    expect(sent.map((s) => s.body.variables)).toEqual([
      { username: 'ann', password: 'correct-horse', timeZone: 'Mars/Olympus' },
      { username: 'ann', password: 'correct-horse' },
    ]);
    expect(mod.currentSession()).toBe(session);
  });

  it('does not retry other refusals, nor more than once', async () => {
    let sent = service(() => badInput('username'));
    await load();
    const { authenticate } = await import('./login');
    await expect(authenticate('register', 'a', 'correct-horse', 'Europe/Paris')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(sent).toHaveLength(1);
    sent = service(() => badInput('timeZone'));
    await expect(authenticate('register', 'ann', 'correct-horse', 'Europe/Paris')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(sent).toHaveLength(2);
    // Without a zone there is nothing to leave out.
    sent = service(() => badInput('timeZone'));
    await expect(authenticate('register', 'ann', 'correct-horse')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(sent).toHaveLength(1);
    expect(sent[0].body.variables).toEqual({ username: 'ann', password: 'correct-horse' });
  });
});
