#!/usr/bin/env node
// Browser test of staying signed in (issue 26): the check-in page against a
// signin-rewards service whose access tokens live a few seconds.
//
//   BASE_URL=http://127.0.0.1:8001 E2E_TOKEN_TTL_SECS=20 SCREENSHOT_DIR=build/screenshots \
//     node web-playground/tests/sessions-e2e.mjs
//
// The service must run with SIGNIN_TOKEN_TTL_SECS=E2E_TOKEN_TTL_SECS (.ci/e2e.sh
// starts a second instance for it). Checks: the refresh token lives only in the
// HttpOnly cookie `signin_refresh` (the answers carry none, web storage holds no
// token, nothing JWT-like); a reload stays signed in without the login form; the
// page keeps working past its access token's expiry (refreshed ahead of time,
// the WebSocket reconnected with the new token), and an UNAUTHENTICATED answer
// refreshes once and sends the request again; "Where you're signed in" lists a
// second browser's session, and "Sign out" on it sends that browser to the
// login form with "Your session has ended. Please log in again."; logging out
// clears the cookie and the page's other tab follows (BroadcastChannel); "Sign
// out everywhere" ends every session. Saves sessions.png. Any browser console
// error, page error, failed request or HTTP status >= 400 fails the run.
// Prints `sessions-e2e: N passed, M failed`.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  BASE_ORIGIN, BASE_URL, JWT_LIKE, PASSWORD, SCREENSHOT_DIR, api, createRun, launchChromium, storageLeaks, until,
  watchTokens,
} from './browser.mjs';

const TTL_SECS = Number(process.env.E2E_TOKEN_TTL_SECS || 20);
const ENDED = 'Your session has ended. Please log in again.';
/** The second browser says it is Firefox on Windows, so the list tells the two apart. */
const FIREFOX_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';

const suite = createRun('sessions-e2e', 240_000);
const { step, watch, quiet, wsMessages } = suite;

const text = async (page, selector) => ((await page.textContent(selector)) || '').replace(/\s+/g, ' ').trim();

/** The GraphQL requests `page` sends: operation name (from the document), variables, headers. */
function watchOperations(page) {
  const sent = [];
  page.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().endsWith('/graphql')) return;
    let body = {};
    try { body = JSON.parse(req.postData() || '{}'); } catch { /* not JSON */ }
    const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(body.query || '')?.[1] || '';
    sent.push({ name, variables: body.variables, headers: req.headers(), query: body.query || '' });
  });
  return sent;
}

/** The refresh cookie of `context`, or undefined. */
async function refreshCookie(context) {
  return (await context.cookies(`${BASE_ORIGIN}/graphql`)).find((c) => c.name === 'signin_refresh' && c.value);
}

/** Records whether the login form was ever shown on `context`'s pages since the last navigation. */
async function watchLoginForm(context) {
  await context.addInitScript(() => {
    window.__authShown = false;
    new MutationObserver(() => {
      const auth = document.getElementById('auth');
      if (auth && !auth.hidden) window.__authShown = true;
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
  });
}

async function noTokenStored(page, tokens) {
  const leaks = await storageLeaks(page, tokens.all);
  if (leaks.length) throw new Error(`a token is kept in web storage: ${leaks.join(', ')}`);
}

async function logIn(page, username) {
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login');
  await page.locator('#dashboard').waitFor({ state: 'visible' });
}

async function main() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const username = `ses_${randomBytes(5).toString('hex')}`;

  await step('the service keeps the refresh token in an HttpOnly cookie when asked (Signin-Session: cookie)', async () => {
    const other = `ses_api_${randomBytes(4).toString('hex')}`;
    const res = await fetch(`${BASE_URL}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Signin-Session': 'cookie' },
      body: JSON.stringify({
        query: 'mutation($u: String!, $p: String!) { register(username: $u, password: $p) { token refreshToken sessionExpiresAt } }',
        variables: { u: other, p: PASSWORD },
      }),
    });
    const body = await res.json();
    if (body.errors) throw new Error(`register answered ${JSON.stringify(body.errors)}`);
    if (body.data.register.refreshToken !== null) throw new Error(`refreshToken is ${JSON.stringify(body.data.register.refreshToken)}, expected null`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('signin_refresh='));
    if (!cookie) throw new Error(`no signin_refresh cookie set: ${JSON.stringify(res.headers.getSetCookie())}`);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/graphql']) {
      if (!cookie.split(';').map((a) => a.trim().toLowerCase()).includes(attribute.toLowerCase())) {
        throw new Error(`the cookie lacks ${attribute}: ${cookie.replace(/=[^;]*/, '=…')}`);
      }
    }
    // Without the header the refresh token is in the answer (API clients).
    const plain = await api('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { refreshToken } }', { u: other, p: PASSWORD });
    if (typeof plain.login.refreshToken !== 'string' || !plain.login.refreshToken) throw new Error('login without the header has no refreshToken');
  });

  const browser = await launchChromium();
  suite.browser = browser;
  const ctxA = await browser.newContext({ viewport: { width: 420, height: 900 }, deviceScaleFactor: 1 });
  await watchLoginForm(ctxA);
  const a = await ctxA.newPage();
  watch(a, 'sessions-a');
  // This test reloads pages while their reads may be in flight: those are aborted on purpose.
  quiet.add(a);
  const aTokens = watchTokens(a);
  const aOps = watchOperations(a);

  await step(`register ${username}: the access token stays in memory, the refresh token in an HttpOnly cookie`, async () => {
    await a.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    await a.locator('#username').waitFor({ state: 'visible' });
    // The page asked the cookie first, and was told there is no session.
    if (!aOps.some((o) => o.name === 'RefreshSession')) throw new Error('no refreshSession on page load');
    await a.fill('#username', username);
    await a.fill('#password', PASSWORD);
    await a.click('#register');
    await a.locator('#dashboard').waitFor({ state: 'visible' });
    await until('#live to report a connection', async () => a.locator('#live.on').count(), 10_000);
    const register = aOps.find((o) => o.name === 'Register');
    if (register?.headers['signin-session'] !== 'cookie') throw new Error(`register sent without Signin-Session: cookie: ${JSON.stringify(register?.headers)}`);
    if (/refreshToken/.test(register.query)) throw new Error('the page asks for the refresh token');
    const cookie = await until('the signin_refresh cookie', async () => refreshCookie(ctxA));
    if (!cookie.httpOnly) throw new Error('signin_refresh is not HttpOnly');
    if (!cookie.secure) throw new Error('signin_refresh is not Secure');
    if (cookie.sameSite !== 'Strict') throw new Error(`signin_refresh is SameSite=${cookie.sameSite}`);
    if (cookie.path !== '/graphql') throw new Error(`signin_refresh has Path=${cookie.path}`);
    if (await a.evaluate(() => document.cookie.includes('signin_refresh'))) throw new Error('scripts can read signin_refresh');
    await until('the access token', async () => aTokens.latest);
    await noTokenStored(a, aTokens);
    if (JWT_LIKE.test(cookie.value)) throw new Error('the refresh token is a JWT (fine, but unexpected)');
  });

  await step('a reload stays signed in without showing the login form', async () => {
    const before = aOps.length;
    await a.reload({ waitUntil: 'load' });
    await a.locator('#dashboard').waitFor({ state: 'visible' });
    await until('7 days in the cycle strip', async () => (await a.locator('.cycle-day').count()) === 7);
    if (await a.evaluate(() => window.__authShown)) throw new Error('the login form was shown during the reload');
    const ops = aOps.slice(before);
    const refresh = ops.find((o) => o.name === 'RefreshSession');
    if (!refresh) throw new Error(`no refreshSession after the reload: ${ops.map((o) => o.name)}`);
    if (refresh.headers['signin-session'] !== 'cookie') throw new Error('refreshSession sent without Signin-Session: cookie');
    if (refresh.variables && Object.keys(refresh.variables).length) throw new Error(`refreshSession sent variables: ${JSON.stringify(refresh.variables)}`);
    if (!/refreshSession\s*{/.test(refresh.query)) throw new Error(`refreshSession sent with an argument: ${refresh.query}`);
    if (ops.some((o) => o.name === 'Login')) throw new Error('the page logged in again');
    if ((await text(a, '#who-name')) !== username) throw new Error(`#who-name reads "${await text(a, '#who-name')}"`);
    await noTokenStored(a, aTokens);
  });

  await step(`past the access token's life (${TTL_SECS} s) the page keeps working, refreshed ahead of time`, async () => {
    await until('the live socket', async () => a.locator('#live.on').count(), 10_000);
    const first = aTokens.latest;
    const firstAt = Date.now();
    const refreshesBefore = aOps.filter((o) => o.name === 'RefreshSession').length;
    // Wait past the token's end: the page refreshes at 80% of its life, by itself.
    await until('a refresh of the page\'s own', async () =>
      aOps.filter((o) => o.name === 'RefreshSession').length > refreshesBefore && aTokens.latest !== first,
    TTL_SECS * 1000 + 5_000, 250);
    const wait = firstAt + TTL_SECS * 1000 + 1_500 - Date.now();
    if (wait > 0) await a.waitForTimeout(wait);
    // The first token has expired on the service.
    const refused = await fetch(`${BASE_URL}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${first}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    }).then((r) => r.json());
    if (refused.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED') {
      throw new Error(`the expired token still works: ${JSON.stringify(refused)}`);
    }
    // The socket authenticated again with a newer token.
    const newer = () => aTokens.all.slice(aTokens.all.lastIndexOf(first) + 1).map((t) => `Bearer ${t}`);
    await until('a connection_init with a refreshed token', async () =>
      wsMessages('sessions-a', 'sent').some((m) => m.type === 'connection_init'
        && newer().includes(m.payload?.Authorization)), 10_000);
    await until('the live socket after the reconnect', async () => a.locator('#live.on').count(), 10_000);
    // Still signed in: sign in for today, with the current token, no login form.
    const reward = Number(await a.getAttribute('.cycle-day[data-day="1"]', 'data-reward'));
    await a.click('#signin');
    await until(`the reward (${reward}) credited live`, async () =>
      (await text(a, '#balance')) === String(reward) && /\bdone\b/.test((await a.getAttribute('.cycle-day[data-day="1"]', 'class')) || ''),
    20_000, 250);
    const signIn = aOps.find((o) => o.name === 'SignIn');
    if (!newer().includes(signIn?.headers.authorization)) throw new Error('signIn was not sent with a refreshed token');
    if (await a.isVisible('#auth')) throw new Error('the login form is shown');
    if (await a.evaluate(() => window.__authShown)) throw new Error('the login form was shown meanwhile');
    await noTokenStored(a, aTokens);
  });

  await step('an UNAUTHENTICATED answer refreshes the token once and sends the request again', async () => {
    let faked = 0;
    await a.route('**/graphql', async (route) => {
      const body = route.request().postData() || '';
      if (faked === 0 && /mutation BuyFreeze\b/.test(body)) {
        faked += 1;
        await route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({ data: null, errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] }),
        });
        return;
      }
      await route.continue();
    });
    const before = aOps.length;
    const balance = Number(await text(a, '#balance'));
    await a.click('#buy-freeze');
    // The second send reaches the service, which refuses it for the points: the page says so.
    await until('#error to explain the freeze costs more than the balance', async () => {
      const t = await text(a, '#error');
      if (t === `Not enough points: a streak freeze costs 200 points and you have ${balance} ${balance === 1 ? 'point' : 'points'}`) return true;
      throw new Error(`#error reads "${t}"`);
    });
    const ops = aOps.slice(before).map((o) => o.name);
    const i = ops.indexOf('BuyFreeze');
    const j = ops.indexOf('RefreshSession', i);
    const k = ops.indexOf('BuyFreeze', j);
    if (faked !== 1 || i < 0 || j < 0 || k < 0) throw new Error(`expected BuyFreeze, RefreshSession, BuyFreeze; saw ${ops}`);
    const keys = aOps.slice(before).filter((o) => o.name === 'BuyFreeze').map((o) => o.variables?.key);
    if (keys.length !== 2 || keys[0] !== keys[1]) throw new Error(`the retry should carry the same idempotency key: ${keys}`);
    await a.unroute('**/graphql');
    if (await a.isVisible('#auth')) throw new Error('the login form is shown');
  });

  const ctxB = await browser.newContext({ viewport: { width: 420, height: 900 }, deviceScaleFactor: 1, userAgent: FIREFOX_UA });
  const b = await ctxB.newPage();
  watch(b, 'sessions-b');
  quiet.add(b);
  const bTokens = watchTokens(b);

  await step('a second browser logs in: "Where you\'re signed in" lists both, this device marked', async () => {
    await b.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    await logIn(b, username);
    await until('tab B live', async () => b.locator('#live.on').count(), 10_000);
    await until('B\'s list to show two sessions', async () => (await b.locator('#sessions li').count()) === 2);
    // A reads the list again when it is shown; a reload does too.
    await a.reload({ waitUntil: 'load' });
    await a.locator('#dashboard').waitFor({ state: 'visible' });
    await until('A\'s list to show two sessions', async () => (await a.locator('#sessions li').count()) === 2);
    const rows = await a.locator('#sessions li').evaluateAll((lis) => lis.map((li) => ({
      current: li.dataset.current,
      device: li.querySelector('.session-device')?.textContent,
      badge: li.querySelector('.session-badge')?.textContent || '',
      times: li.querySelector('.session-times')?.textContent || '',
      button: li.querySelector('button')?.textContent || '',
    })));
    const mine = rows.find((r) => r.current === 'true');
    const theirs = rows.find((r) => r.current === 'false');
    if (!mine || !/^Headless Chrome \d+ on Linux$|^Chrom(e|ium) \d+ on Linux$/.test(mine.device) || mine.badge !== 'this device' || mine.button) {
      throw new Error(`this device's row: ${JSON.stringify(mine)}`);
    }
    if (!theirs || theirs.device !== 'Firefox 140 on Windows' || theirs.badge || theirs.button !== 'Sign out') {
      throw new Error(`the other row: ${JSON.stringify(theirs)}`);
    }
    for (const r of rows) {
      if (!/^Signed in .+ · last used .+$/.test(r.times)) throw new Error(`times read "${r.times}"`);
    }
    // Newest first: B's login is the newer one.
    if (rows[0].current !== 'false') throw new Error(`not newest first: ${JSON.stringify(rows)}`);
    const bMine = await b.locator('#sessions li[data-current="true"] .session-device').textContent();
    if (bMine !== 'Firefox 140 on Windows') throw new Error(`B's own row reads ${bMine}`);
    await a.locator('#sessions-card').scrollIntoViewIfNeeded();
    await a.screenshot({ path: path.join(SCREENSHOT_DIR, 'sessions.png'), fullPage: true });
    await noTokenStored(b, bTokens);
  });

  await step('"Sign out" on the other session ends it: that browser is sent to the login form with a sentence', async () => {
    await a.click('#sessions li[data-current="false"] button');
    await until('A\'s list to show one session', async () => (await a.locator('#sessions li').count()) === 1
      && (await a.getAttribute('#sessions li', 'data-current')) === 'true');
    await until('the notice', async () => /^Signed out Firefox 140 on Windows\.$/.test(await text(a, '#notice')));
    // B finds out at once (its live socket is closed with 4401) or at its next request.
    let how = 'at once (its live socket was closed)';
    try {
      await b.locator('#auth').waitFor({ state: 'visible', timeout: 5_000 });
    } catch {
      how = 'at its next request';
      await b.click('#buy-freeze');
      await b.locator('#auth').waitFor({ state: 'visible', timeout: 10_000 });
    }
    console.log(`     (the second browser found its session over ${how})`);
    await until('B\'s sentence', async () => (await text(b, '#error')) === ENDED);
    if (await b.isVisible('#dashboard')) throw new Error('B still shows the dashboard');
    // B's cookie belongs to the ended session: a reload shows the form too.
    await b.reload({ waitUntil: 'load' });
    await b.locator('#auth').waitFor({ state: 'visible' });
  });

  const a2 = await ctxA.newPage();
  watch(a2, 'sessions-a2');
  quiet.add(a2);
  const a2Tokens = watchTokens(a2);
  const a3 = await ctxA.newPage();
  watch(a3, 'sessions-a3');
  quiet.add(a3);
  const a3Tokens = watchTokens(a3);

  await step('two tabs refreshing from the same cookie at once both stay signed in, with the same pair', async () => {
    // Hold each tab's refreshSession until both are held, then let both go at once:
    // both carry the same refresh cookie, and the second is a reuse within the grace window.
    const held = [];
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    for (const p of [a2, a3]) {
      await p.route('**/graphql', async (route) => {
        if (held.length < 2 && /mutation RefreshSession\b/.test(route.request().postData() || '')) {
          held.push(route);
          if (held.length === 2) release();
          await released;
        }
        await route.continue();
      });
    }
    await Promise.all([a2.goto(`${BASE_URL}/`, { waitUntil: 'load' }), a3.goto(`${BASE_URL}/`, { waitUntil: 'load' })]);
    await Promise.all([a2, a3].map((p) => p.locator('#dashboard').waitFor({ state: 'visible' })));
    await Promise.all([a2, a3].map((p) => p.unroute('**/graphql')));
    const [t2, t3] = await until('both tabs\' tokens', async () => a2Tokens.latest && a3Tokens.latest && [a2Tokens.latest, a3Tokens.latest]);
    if (t2 !== t3) throw new Error('two refreshes at once with one refresh token got two different pairs');
    // Each tab's token works, and the session is still one.
    for (const t of [t2, t3]) {
      const { me } = await api('{ me { sessions { id current } } }', undefined, t);
      if (me.sessions.length !== 1) throw new Error(`expected A's one session, saw ${JSON.stringify(me.sessions)}`);
    }
    if (await a2.isVisible('#auth') || await a3.isVisible('#auth')) throw new Error('a tab shows the login form');
  });

  await step('logging out clears the cookie, and the page\'s other tabs follow', async () => {
    await a.click('#logout');
    await a.locator('#auth').waitFor({ state: 'visible' });
    for (const [label, p] of [['A2', a2], ['A3', a3]]) {
      await p.locator('#auth').waitFor({ state: 'visible', timeout: 5_000 });
      if ((await text(p, '#notice')) !== 'You signed out in another tab.') throw new Error(`${label}'s notice reads "${await text(p, '#notice')}"`);
    }
    await until('the signin_refresh cookie to be gone', async () => !(await refreshCookie(ctxA)));
    const signOut = aOps.find((o) => o.name === 'SignOut');
    if (!signOut?.headers.authorization) throw new Error('signOut was sent without the access token');
    await a.reload({ waitUntil: 'load' });
    await a.locator('#auth').waitFor({ state: 'visible' });
    await a2.close();
    await a3.close();
  });

  await step('"Sign out everywhere" ends every session: the login form here and in the other browser', async () => {
    await logIn(a, username);
    await logIn(b, username);
    await until('B live', async () => b.locator('#live.on').count(), 10_000);
    await a.reload({ waitUntil: 'load' });
    await a.locator('#dashboard').waitFor({ state: 'visible' });
    await until('A\'s list to show two sessions', async () => (await a.locator('#sessions li').count()) === 2);
    await a.click('#sign-out-everywhere');
    await a.locator('#auth').waitFor({ state: 'visible' });
    await until('the notice', async () => (await text(a, '#notice')) === 'Signed out everywhere (2 sessions).');
    try {
      await b.locator('#auth').waitFor({ state: 'visible', timeout: 5_000 });
    } catch {
      await b.click('#buy-freeze');
      await b.locator('#auth').waitFor({ state: 'visible', timeout: 10_000 });
    }
    await until('B\'s sentence', async () => (await text(b, '#error')) === ENDED);
    await a.reload({ waitUntil: 'load' });
    await a.locator('#auth').waitFor({ state: 'visible' });
    await noTokenStored(a, { all: [...aTokens.all, ...bTokens.all] });
  });

  quiet.add(a);
  quiet.add(b);
  await ctxA.close();
  await ctxB.close();
  await browser.close();
  suite.browser = undefined;
}

suite.main(main);
