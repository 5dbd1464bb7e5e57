#!/usr/bin/env node
// Browser test of the check-in page (/) and GraphiQL (/playground) against a
// running signin-rewards service.
//
//   BASE_URL=http://127.0.0.1:8000 SCREENSHOT_DIR=build/screenshots node web-playground/tests/e2e.mjs
//
// Uses Debian's Chromium (/usr/bin/chromium, override with CHROMIUM_PATH) through
// playwright-core. Fails (exit 1) on any browser console error, page error, failed
// request or HTTP status >= 400. Prints `e2e: N passed, M failed` at the end.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  BASE_URL, PASSWORD, SCREENSHOT_DIR, addDays, api, createRun, launchChromium, storageLeaks, until, watchTokens,
} from './browser.mjs';

// Streak protection needs days to pass and points to spend: a command that
// restarts the service with its clock N days after its first start (appended
// argument N; .ci/e2e.sh provides it) and an admin who can adjust wallets.
const ADVANCE_CLOCK_CMD = process.env.E2E_ADVANCE_CLOCK_CMD || '';
const ADMIN_USERNAME = process.env.E2E_ADMIN_USERNAME || '';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || '';

const suite = createRun('e2e', 240_000);
const { step, watch, quiet, wsOpened, wsMessages } = suite;

// ------------------------------------------------------------------ the run

async function main() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const browser = await launchChromium();
  suite.browser = browser;
  // A phone-sized viewport for the check-in page.
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  watch(page, 'checkin');
  // The page keeps its access token in memory only: the test reads it from the answers.
  const tokens = watchTokens(page);
  const ops = operationsSent(page);
  const username = `e2e_${randomBytes(5).toString('hex')}`;
  let dayOneReward = 0;
  let dayOneDate = '';
  let token = '';

  await step('check-in page loads logged out', async () => {
    const res = await page.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    if (!res || res.status() !== 200) throw new Error(`GET / answered ${res?.status()}`);
    await page.locator('#username').waitFor({ state: 'visible' });
    await page.locator('#password').waitFor({ state: 'visible' });
    if (await page.locator('#signin').isVisible()) throw new Error('#signin visible while logged out');
    await page.waitForTimeout(300);
    if (wsOpened.checkin) throw new Error('a WebSocket was opened before login');
  });

  await step(`register ${username}`, async () => {
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('#register');
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    await until('7 days in the cycle strip', async () => (await page.locator('.cycle-day').count()) === 7);
    const balance = (await page.textContent('#balance'))?.trim();
    await until('#balance to show 0', async () => (await page.textContent('#balance'))?.trim() === '0');
    dayOneReward = Number(await page.getAttribute('.cycle-day[data-day="1"]', 'data-reward'));
    if (!Number.isInteger(dayOneReward)) {
      const text = await page.textContent('.cycle-day[data-day="1"] .cd-reward');
      dayOneReward = Number(String(text).replace(/[^0-9]/g, ''));
    }
    if (!Number.isInteger(dayOneReward) || dayOneReward < 0) throw new Error(`cannot read day-1 reward (balance was ${balance})`);
    const cls = await page.getAttribute('.cycle-day[data-day="1"]', 'class');
    if (!/\btoday\b/.test(cls || '')) throw new Error(`day 1 of a new user is not today: class="${cls}"`);
    const label = (await page.textContent('#signin'))?.trim();
    if (!(await page.isEnabled('#signin'))) throw new Error(`#signin is disabled ("${label}")`);
    token = await until('the access token of the register answer', async () => tokens.latest);
    const leaks = await storageLeaks(page, [token]);
    if (leaks.length) throw new Error(`a token is kept in web storage: ${leaks.join(', ')}`);
  });

  await step("the page shows the device's time zone and when the day ends", async () => {
    // Registration sent this browser's zone; the day ends at its midnight.
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const register = ops.find((o) => o.name === 'Register');
    if (register?.variables?.timeZone !== zone) {
      throw new Error(`register sent timeZone ${JSON.stringify(register?.variables?.timeZone)}, the browser is in ${zone}`);
    }
    await until(`#day-ends to say the day ends at 00:00 in ${zone}, in …`, async () => {
      const t = await text(page, '#day-ends');
      if (dayEnds(zone).test(t)) return true;
      throw new Error(`#day-ends reads "${t}"`);
    });
    const current = await text(page, '#zone-current');
    if (current !== `Your days are counted in ${zone}.`) throw new Error(`#zone-current reads "${current}"`);
    if (await page.isVisible('#zone-device')) throw new Error('"Use this device\'s zone" is offered for the zone the user has');
  });

  await step('live updates connected (graphql-ws with the token)', async () => {
    await until('#live to report a connection', async () => page.locator('#live.on').count(), 10_000);
    const init = wsMessages('checkin', 'sent').find((m) => m.type === 'connection_init');
    if (!init) throw new Error('no connection_init frame sent');
    if (init.payload?.Authorization !== `Bearer ${token}`) {
      throw new Error(`connection_init payload lacks the token: ${JSON.stringify(init.payload)}`);
    }
    const subs = wsMessages('checkin', 'sent').filter((m) => m.type === 'subscribe').map((m) => m.payload?.query || '');
    if (!subs.some((q) => q.includes('walletUpdated')) || !subs.some((q) => q.includes('streakUpdated'))) {
      throw new Error(`expected walletUpdated and streakUpdated subscriptions, saw: ${JSON.stringify(subs)}`);
    }
  });

  await step('sign in marks day 1 done and credits the reward live', async () => {
    await page.click('#signin');
    await until('day 1 to be marked done', async () =>
      /\bdone\b/.test((await page.getAttribute('.cycle-day[data-day="1"]', 'class')) || ''), 10_000);
    await until('#signin to read "Signed in today" and be disabled', async () =>
      (await page.textContent('#signin'))?.trim() === 'Signed in today' && !(await page.isEnabled('#signin')), 10_000);
    await until(`#balance to become ${dayOneReward}`, async () =>
      (await page.textContent('#balance'))?.trim() === String(dayOneReward), 20_000, 250);
    await until('the reward in #transactions', async () => (await page.locator('#transactions li').count()) >= 1, 5_000);
    dayOneDate = (await page.getAttribute('.cycle-day[data-day="1"]', 'data-date')) || '';
    const pushed = wsMessages('checkin', 'received').some(
      (m) => m.type === 'next' && m.payload?.data?.walletUpdated?.amount === dayOneReward);
    if (!pushed) throw new Error('no walletUpdated event arrived over the WebSocket');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'checkin.png'), fullPage: true });
  });

  await step('wrong password shows a message, right one logs back in', async () => {
    const previous = tokens.latest;
    await page.click('#logout');
    await page.locator('#username').waitFor({ state: 'visible' });
    await page.fill('#username', username);
    await page.fill('#password', `${PASSWORD}-wrong`);
    await page.click('#login');
    await until('#error to say wrong username or password', async () =>
      /wrong username or password/i.test((await page.textContent('#error')) || '') && page.isVisible('#error'));
    await page.fill('#password', PASSWORD);
    await page.click('#login');
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    await until('the dashboard to show today signed in and the balance', async () =>
      (await page.textContent('#signin'))?.trim() === 'Signed in today'
      && (await page.textContent('#balance'))?.trim() === String(dayOneReward));
    token = await until('the access token of the new login', async () => tokens.latest !== previous && tokens.latest);
  });

  // Done with the check-in page: close it (its pending refreshes may be aborted).
  quiet.add(page);
  await page.close();

  const pg = await context.newPage();
  await pg.setViewportSize({ width: 1280, height: 800 });
  watch(pg, 'playground');

  // Variables and headers editors share the tools pane; the visible one is the headers editor.
  const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
  const editorValue = (selector) => pg.evaluate((sel) => {
    const cm = document.querySelector(`${sel} .CodeMirror`);
    return cm && cm.CodeMirror ? cm.CodeMirror.getValue() : null;
  }, selector);
  const setEditor = async (selector, value) => {
    await pg.evaluate(([sel, v]) => {
      const cm = document.querySelector(`${sel} .CodeMirror`);
      if (!cm || !cm.CodeMirror) throw new Error(`no CodeMirror in ${sel}`);
      cm.CodeMirror.setValue(v);
    }, [selector, value]);
    // GraphiQL picks up edits (operation name, headers) after a short debounce.
    await pg.waitForTimeout(600);
  };
  const run = async () => {
    const button = pg.locator('.graphiql-execute-button');
    if (await button.count()) await button.first().click();
    else {
      await pg.click('.graphiql-query-editor .CodeMirror');
      await pg.keyboard.press('Control+Enter');
    }
  };
  const responseText = async () =>
    (await editorValue('.graphiql-response')) ?? ((await pg.textContent('.graphiql-response')) || '');

  await step('playground loads GraphiQL with the schema', async () => {
    const res = await pg.goto(`${BASE_URL}/playground`, { waitUntil: 'load' });
    if (!res || res.status() !== 200) throw new Error(`GET /playground answered ${res?.status()}`);
    await pg.locator('.graphiql-container').waitFor({ state: 'visible', timeout: 15_000 });
    await until('the query editor', async () => (await editorValue('.graphiql-query-editor')) !== null, 15_000);
    const q = await editorValue('.graphiql-query-editor');
    if (!q.includes('me')) throw new Error(`unexpected default query: ${q.slice(0, 200)}`);
    await pg.locator('.graphiql-editors button', { hasText: /^Headers$/ }).first().click();
    await until('the headers editor preset', async () =>
      ((await editorValue(HEADERS_EDITOR)) || '').includes('Authorization'), 5_000);
    // The docs explorer lists the root types once introspection has loaded.
    await pg.locator('button[aria-label="Show Documentation Explorer"]').first().click();
    await until('the docs explorer to show the Query type', async () =>
      /Query/.test((await pg.textContent('.graphiql-doc-explorer').catch(() => '')) || ''), 15_000);
  });

  await step('playground runs { __typename }', async () => {
    await setEditor('.graphiql-query-editor', '{ __typename }');
    await run();
    await until('the result pane to show __typename: Query', async () => {
      const t = await responseText();
      if (t.includes('"__typename"') && t.includes('Query')) return true;
      throw new Error(`result pane: ${t.slice(0, 300)}`);
    }, 15_000);
    await pg.screenshot({ path: path.join(SCREENSHOT_DIR, 'playground.png') });
  });

  await step('playground sends the Authorization header (HTTP and WebSocket)', async () => {
    await setEditor(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await setEditor('.graphiql-query-editor', '{ me { username } }');
    await run();
    await until(`the result pane to show ${username}`, async () => {
      const t = await responseText();
      if (t.includes(username)) return true;
      throw new Error(`result pane: ${t.slice(0, 300)}`);
    }, 15_000);
    await setEditor('.graphiql-query-editor', 'subscription { walletUpdated { id amount } }');
    await run();
    await until('connection_ack on the playground WebSocket', async () =>
      wsMessages('playground', 'received').some((m) => m.type === 'connection_ack'), 10_000);
    const init = wsMessages('playground', 'sent').find((m) => m.type === 'connection_init');
    if (init?.payload?.Authorization !== `Bearer ${token}`) {
      throw new Error(`connection_init payload lacks the token: ${JSON.stringify(init?.payload)}`);
    }
    await until('the subscription to be sent', async () =>
      wsMessages('playground', 'sent').some((m) => m.type === 'subscribe'), 5_000);
    await pg.waitForTimeout(300);
    const errorFrame = wsMessages('playground', 'received').find((m) => m.type === 'error');
    if (errorFrame) throw new Error(`subscription refused: ${JSON.stringify(errorFrame.payload)}`);
    // GraphiQL keeps the pasted header to itself (shouldPersistHeaders: false): nothing in web storage.
    const leaks = await storageLeaks(pg, [token]);
    if (leaks.length) throw new Error(`the pasted token is kept in web storage: ${leaks.join(', ')}`);
  });

  quiet.add(pg);
  await context.close();

  await timeZones();

  if (ADVANCE_CLOCK_CMD && ADMIN_USERNAME && ADMIN_PASSWORD) {
    await streakProtection(username, dayOneDate, dayOneReward);
  } else {
    console.log('skip streak protection (needs E2E_ADVANCE_CLOCK_CMD, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD: run .ci/e2e.sh)');
  }

  await browser.close();
  suite.browser = undefined;
}

const text = async (page, selector) => ((await page.textContent(selector)) || '').replace(/\s+/g, ' ').trim();

/** The operations `page` sent to /graphql, in order: `{ name, variables }`. */
function operationsSent(page) {
  const ops = [];
  page.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().endsWith('/graphql')) return;
    try {
      const body = JSON.parse(req.postData() || '{}');
      const name = /\b(?:query|mutation)\s+(\w+)/.exec(body.query || '')?.[1];
      if (name) ops.push({ name, variables: body.variables });
    } catch { /* not JSON */ }
  });
  return ops;
}

/** The day-end line for `zone`: "Your day ends at 00:00 in Asia/Tokyo, in 2 h 53 min." */
function dayEnds(zone) {
  const z = zone.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^Your day ends at 00:00 in ${z}, in \\d+ (min|h|day|days)\\b[^.]*\\.$`);
}

// ------------------------------------------------------------------ time zones

/**
 * A user registered from a device in New York changes their zone to Tokyo on
 * the page; a second change at once is refused (SIGNIN_TIMEZONE_CHANGE_DAYS,
 * 7 by default), the zone they have is no change, and an unknown name is
 * refused in words. A user of their own: the main user's days stay where the
 * streak protection below expects them.
 */
async function timeZones() {
  const context = await suite.browser.newContext({
    viewport: { width: 360, height: 800 }, deviceScaleFactor: 1, timezoneId: 'America/New_York',
  });
  const p = await context.newPage();
  watch(p, 'timezone');
  const ops = operationsSent(p);
  const name = `e2e_tz_${randomBytes(5).toString('hex')}`;
  const shown = async (zone) => dayEnds(zone).test(await text(p, '#day-ends'))
    && (await text(p, '#zone-current')) === `Your days are counted in ${zone}.`;

  await step(`register ${name} from a device in America/New_York: the day ends at midnight there`, async () => {
    await p.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    await p.fill('#username', name);
    await p.fill('#password', PASSWORD);
    await p.click('#register');
    await p.locator('#dashboard').waitFor({ state: 'visible' });
    const register = ops.find((o) => o.name === 'Register');
    if (register?.variables?.timeZone !== 'America/New_York') {
      throw new Error(`register sent timeZone ${JSON.stringify(register?.variables?.timeZone)}`);
    }
    await until('the zone and the day end in America/New_York', async () => {
      if (await shown('America/New_York')) return true;
      throw new Error(`#day-ends reads "${await text(p, '#day-ends')}", #zone-current "${await text(p, '#zone-current')}"`);
    });
    if (await p.isVisible('#zone-device')) throw new Error('"Use this device\'s zone" is offered for the zone the user has');
  });

  await step('changing the zone to Asia/Tokyo updates what is shown', async () => {
    await p.fill('#zone-input', 'Asia/Tokyo');
    await p.click('#zone-save');
    await until('the notice, the zone and the day end in Asia/Tokyo, and the device\'s zone offered', async () => {
      const notice = await text(p, '#notice');
      if (notice === 'Your time zone is now Asia/Tokyo.' && await shown('Asia/Tokyo')
        && await p.isVisible('#zone-device')
        && (await text(p, '#zone-device')) === "Use this device's zone (America/New_York)") return true;
      throw new Error(`#notice "${notice}", #day-ends "${await text(p, '#day-ends')}", #zone-device "${await text(p, '#zone-device')}"`);
    });
    const set = ops.filter((o) => o.name === 'SetTimeZone');
    if (set.length !== 1 || set[0].variables?.timeZone !== 'Asia/Tokyo') throw new Error(`SetTimeZone sent: ${JSON.stringify(set)}`);
    if ((await p.inputValue('#zone-input')) !== '') throw new Error('the form kept the name after the change');
    await p.screenshot({ path: path.join(SCREENSHOT_DIR, 'checkin-timezone.png'), fullPage: true });
  });

  await step('a second change at once is refused with the limit in words', async () => {
    await p.click('#zone-device');
    await until('#error to explain the weekly limit', async () => {
      const t = await text(p, '#error');
      if (/^You can change your time zone once a week; next change possible in (7 days|6 days 23 h)\.$/.test(t)) return true;
      throw new Error(`#error reads "${t}"`);
    });
    const set = ops.filter((o) => o.name === 'SetTimeZone');
    if (set.length !== 2 || set[1].variables?.timeZone !== 'America/New_York') throw new Error(`SetTimeZone sent: ${JSON.stringify(set)}`);
    if (!(await shown('Asia/Tokyo'))) throw new Error(`the zone shown changed: "${await text(p, '#day-ends')}"`);
  });

  await step('the zone one already has is no change (and no refusal)', async () => {
    await p.fill('#zone-input', 'Asia/Tokyo');
    await p.click('#zone-save');
    await until('#notice to say the zone is already Asia/Tokyo', async () =>
      (await text(p, '#notice')) === 'Your time zone is already Asia/Tokyo.' && await p.isHidden('#error'));
  });

  await step('an unknown name is refused in words', async () => {
    await p.fill('#zone-input', 'Mars/Olympus');
    await p.click('#zone-save');
    await until('#error to say the name is not a known time zone', async () => {
      const t = await text(p, '#error');
      if (t === '"Mars/Olympus" is not a known time zone: choose one from the list, such as Europe/Paris.') return true;
      throw new Error(`#error reads "${t}"`);
    });
    if (!(await shown('Asia/Tokyo'))) throw new Error(`the zone shown changed: "${await text(p, '#day-ends')}"`);
  });

  quiet.add(p);
  await context.close();
}

// ------------------------------------------------------------------ streak protection

const hasClass = async (page, selector, cls) =>
  new RegExp(`\\b${cls}\\b`).test((await page.getAttribute(selector, 'class')) || '');

/** Restarts the service with its clock `days` after its first start. */
function advanceClock(days) {
  execFileSync('bash', ['-c', `${ADVANCE_CLOCK_CMD} ${days}`], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 });
}

/** The idempotency keys the page sent with `operationName`'s mutation. */
function keysSent(page, operationName) {
  const keys = [];
  page.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().endsWith('/graphql')) return;
    try {
      const body = JSON.parse(req.postData() || '{}');
      if (new RegExp(`mutation ${operationName}\\b`).test(body.query || '')) keys.push(body.variables?.key);
    } catch { /* not JSON */ }
  });
  return keys;
}

async function streakProtection(username, dayOneDate, dayOneReward) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dayOneDate)) throw new Error(`day 1 date unknown: "${dayOneDate}"`);
  const missed = addDays(dayOneDate, 1);
  const today = addDays(dayOneDate, 2);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  await step('the clock moves on two days (service restarted on the same data)', async () => {
    advanceClock(2);
  });

  const context = await suite.browser.newContext({ viewport: { width: 360, height: 800 }, deviceScaleFactor: 1 });
  const a = await context.newPage();
  watch(a, 'protect-a');
  const aTokens = watchTokens(a);
  const makeUpKeys = keysSent(a, 'MakeUp');
  const freezeKeys = keysSent(a, 'BuyFreeze');
  let userToken = '';
  let balance = dayOneReward;

  await step(`${missed} is missed and offered for a make-up`, async () => {
    await a.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    await a.fill('#username', username);
    await a.fill('#password', PASSWORD);
    await a.click('#login');
    await a.locator('#dashboard').waitFor({ state: 'visible' });
    await until('#live to report a connection', async () => a.locator('#live.on').count(), 10_000);
    await until(`the make-up list to offer ${missed}`, async () =>
      (await a.locator(`#makeup-list li[data-date="${missed}"] button`).count()) === 1, 10_000);
    const button = await text(a, `#makeup-list li[data-date="${missed}"] button`);
    if (button !== 'Make up (50 points)') throw new Error(`make-up button reads "${button}"`);
    const left = await text(a, '#makeups-left');
    if (!left.startsWith('Make-ups left this month: 3')) throw new Error(`#makeups-left reads "${left}"`);
    const freezes = await text(a, '#freezes');
    if (freezes !== 'Streak freezes: 0 of 2') throw new Error(`#freezes reads "${freezes}"`);
    const buy = await text(a, '#buy-freeze');
    if (buy !== 'Buy a freeze (200 points)' || !(await a.isEnabled('#buy-freeze'))) {
      throw new Error(`#buy-freeze reads "${buy}" (enabled: ${await a.isEnabled('#buy-freeze')})`);
    }
    const milestone = await text(a, '#next-milestone');
    if (milestone !== 'Next milestone: 3-day streak, +20 points') throw new Error(`#next-milestone reads "${milestone}"`);
    await until(`the recent days to show ${missed} missed and ${today} as today`, async () =>
      (await a.getAttribute(`#history li[data-date="${missed}"]`, 'data-state')) === 'missed'
      && (await a.getAttribute(`#history li[data-date="${dayOneDate}"]`, 'data-state')) === 'signed'
      && (await a.getAttribute(`#history li[data-date="${today}"]`, 'aria-current')) === 'date', 10_000);
    const streak = await text(a, '#streak');
    if (streak !== '0 days') throw new Error(`#streak reads "${streak}" with yesterday missed`);
    userToken = await until('the access token of the login answer', async () => aTokens.latest);
    await a.screenshot({ path: path.join(SCREENSHOT_DIR, 'checkin-missed.png'), fullPage: true });
  });

  await step('a make-up without enough points explains why', async () => {
    await a.click(`#makeup-list li[data-date="${missed}"] button`);
    await until('#error to explain the make-up costs more than the balance', async () => {
      const t = await text(a, '#error');
      if (t === `Not enough points: a make-up costs 50 points and you have ${balance} points`) return true;
      throw new Error(`#error reads "${t}"`);
    });
    if ((await text(a, '#balance')) !== String(balance)) throw new Error('the balance changed');
  });

  await step('points granted by an admin show up live', async () => {
    const admin = await api(`mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
      { u: ADMIN_USERNAME, p: ADMIN_PASSWORD });
    const me = await api('{ me { id } }', undefined, userToken);
    await api(`mutation($id: ID!, $key: String!) {
      adjustWallet(userId: $id, amount: 500, idempotencyKey: $key, note: "e2e: points for streak protection") { id }
    }`, { id: me.me.id, key: `e2e-${randomBytes(8).toString('hex')}` }, admin.login.token);
    balance += 500;
    await until(`#balance to become ${balance} without a reload`, async () =>
      (await text(a, '#balance')) === String(balance), 10_000);
    await until('the adjustment in #transactions', async () =>
      (await a.locator('#transactions li[data-kind="ADJUSTMENT"]').count()) === 1, 5_000);
  });

  // A second tab of the same session: everything it shows from here on comes
  // from the subscriptions, as it never clicks anything.
  const b = await context.newPage();
  watch(b, 'protect-b');

  await step(`make up ${missed}: the strip and the balance change live in both tabs`, async () => {
    await b.goto(`${BASE_URL}/`, { waitUntil: 'load' });
    await b.locator('#dashboard').waitFor({ state: 'visible' });
    await until('tab B live', async () => b.locator('#live.on').count(), 10_000);
    await until(`tab B to show ${balance}`, async () => (await text(b, '#balance')) === String(balance), 10_000);
    await a.click(`#makeup-list li[data-date="${missed}"] button`);
    balance -= 50;
    for (const [label, p] of [['tab A', a], ['tab B', b]]) {
      await until(`${label}: #balance ${balance}, cycle day 2 made up, streak 2 days, nothing left to make up`, async () =>
        (await text(p, '#balance')) === String(balance)
        && (await p.getAttribute('.cycle-day[data-day="2"]', 'data-date')) === missed
        && await hasClass(p, '.cycle-day[data-day="2"]', 'made-up')
        && (await text(p, '.cycle-day[data-day="2"] .cd-state')) === '↺'
        && (await text(p, '#streak')) === '2 days'
        && (await p.locator('#makeup-list li').count()) === 0
        && await p.isVisible('#makeup-empty')
        && (await p.getAttribute(`#history li[data-date="${missed}"]`, 'data-state')) === 'made-up', 10_000);
    }
    const left = await text(a, '#makeups-left');
    if (!left.startsWith('Make-ups left this month: 2')) throw new Error(`#makeups-left reads "${left}"`);
    if (!(await a.isHidden('#error'))) throw new Error(`an error is still shown: ${await text(a, '#error')}`);
    const notice = await text(a, '#notice');
    if (!notice.includes('is made up')) throw new Error(`#notice reads "${notice}"`);
    const fee = wsMessages('protect-b', 'received').some(
      (m) => m.type === 'next' && m.payload?.data?.walletUpdated?.kind === 'MAKE_UP_FEE' && m.payload.data.walletUpdated.amount === -50);
    if (!fee) throw new Error('tab B got no MAKE_UP_FEE walletUpdated event');
    const pushed = wsMessages('protect-b', 'received').some(
      (m) => m.type === 'next' && m.payload?.data?.streakUpdated?.streak === 2);
    if (!pushed) throw new Error('tab B got no streakUpdated event with the repaired streak');
    if (makeUpKeys.length !== 2 || !makeUpKeys.every((k) => UUID.test(k)) || makeUpKeys[0] === makeUpKeys[1]) {
      throw new Error(`expected a fresh UUID per make-up click, saw ${JSON.stringify(makeUpKeys)}`);
    }
  });

  await step('buy streak freezes up to the maximum', async () => {
    for (const held of [1, 2]) {
      await a.click('#buy-freeze');
      balance -= 200;
      for (const [label, p] of [['tab A', a], ['tab B', b]]) {
        await until(`${label}: ${held} of 2 freezes, balance ${balance}`, async () =>
          (await text(p, '#freezes')) === `Streak freezes: ${held} of 2`
          && (await text(p, '#balance')) === String(balance), 10_000);
      }
    }
    for (const [label, p] of [['tab A', a], ['tab B', b]]) {
      if (await p.isEnabled('#buy-freeze')) throw new Error(`${label}: #buy-freeze is enabled at the maximum`);
    }
    if ((await a.locator('#transactions li[data-kind="STREAK_FREEZE"]').count()) !== 2) {
      throw new Error('the two freezes are not in #transactions');
    }
    if (freezeKeys.length !== 2 || !freezeKeys.every((k) => UUID.test(k)) || freezeKeys[0] === freezeKeys[1]) {
      throw new Error(`expected a fresh UUID per freeze click, saw ${JSON.stringify(freezeKeys)}`);
    }
  });

  await step('sign in on day 3 reaches the 3-day milestone', async () => {
    const reward = Number(await a.getAttribute('.cycle-day[data-day="3"]', 'data-reward'));
    await a.click('#signin');
    balance += reward + 20;
    await until(`day 3 done, streak 3, the bonus credited (balance ${balance}), next milestone 30`, async () =>
      await hasClass(a, '.cycle-day[data-day="3"]', 'done')
      && (await text(a, '#streak')) === '3 days'
      && (await text(a, '#balance')) === String(balance)
      && (await text(b, '#balance')) === String(balance)
      && (await text(a, '#next-milestone')) === 'Next milestone: 30-day streak, +300 points', 20_000, 250);
    if ((await a.locator('#transactions li[data-kind="MILESTONE_BONUS"]').count()) !== 1) {
      throw new Error('the milestone bonus is not in #transactions');
    }
  });

  quiet.add(a);
  quiet.add(b);
  await a.close();
  await b.close();

  const frozen = addDays(dayOneDate, 3);
  const dayFive = addDays(dayOneDate, 4);
  await step(`the clock moves on to ${dayFive}: ${frozen} is missed`, async () => {
    advanceClock(4);
  });

  const c = await context.newPage();
  watch(c, 'protect-c');
  // A stale tab: its live socket never gets past connection_init (the server is
  // not reached), so it keeps showing what it loaded while tab C acts.
  const d = await context.newPage();
  await d.routeWebSocket(/\/graphql$/, () => {});
  watch(d, 'protect-d');

  await step(`signing in on ${dayFive} uses a freeze for ${frozen}`, async () => {
    for (const p of [c, d]) {
      await p.goto(`${BASE_URL}/`, { waitUntil: 'load' });
      // The session from before the restart is still valid.
      await p.locator('#dashboard').waitFor({ state: 'visible' });
      // Not signed in yet: the missed date is a make-up candidate, and the
      // status already counts the run a freeze would protect.
      await until(`cycle day 4 to be today and ${frozen} offered for a make-up`, async () =>
        (await p.getAttribute('.cycle-day[data-day="4"]', 'data-date')) === dayFive
        && await hasClass(p, '.cycle-day[data-day="4"]', 'today')
        && (await p.locator(`#makeup-list li[data-date="${frozen}"] button`).count()) === 1
        && (await p.getAttribute(`#history li[data-date="${frozen}"]`, 'data-state')) === 'missed', 10_000);
    }
    await until('#live to report a connection', async () => c.locator('#live.on').count(), 10_000);
    const reward = Number(await c.getAttribute('.cycle-day[data-day="4"]', 'data-reward'));
    await c.click('#signin');
    balance += reward;
    await until(`one freeze used, ${frozen} frozen, day 4 done, streak 4, balance ${balance}`, async () =>
      (await text(c, '#freezes')) === 'Streak freezes: 1 of 2'
      && await c.isEnabled('#buy-freeze')
      && (await c.getAttribute(`#history li[data-date="${frozen}"]`, 'data-state')) === 'frozen'
      && (await c.getAttribute(`#history li[data-date="${missed}"]`, 'data-state')) === 'made-up'
      && (await c.getAttribute(`#history li[data-date="${dayFive}"]`, 'data-state')) === 'signed'
      && (await c.locator('#makeup-list li').count()) === 0
      && await hasClass(c, '.cycle-day[data-day="4"]', 'done')
      && (await text(c, '#streak')) === '4 days'
      && (await text(c, '#balance')) === String(balance), 20_000, 250);
    const label = await c.getAttribute(`#history li[data-date="${frozen}"]`, 'aria-label');
    if (!/covered by a streak freeze/.test(label || '')) throw new Error(`frozen day's label: "${label}"`);
    await c.screenshot({ path: path.join(SCREENSHOT_DIR, 'checkin-protection.png'), fullPage: true });
  });

  await step('a stale tab making up the frozen date is told why not, then catches up', async () => {
    if ((await d.locator(`#makeup-list li[data-date="${frozen}"] button`).count()) !== 1) {
      throw new Error('the stale tab no longer offers the date (was it live after all?)');
    }
    await d.click(`#makeup-list li[data-date="${frozen}"] button`);
    await until('#error to say the date needs no make-up (MAKE_UP_NOT_ALLOWED, NOT_MISSED)', async () => {
      const t = await text(d, '#error');
      if (t === 'That day is already signed in or covered by a streak freeze, so there is nothing to make up') return true;
      throw new Error(`#error reads "${t}"`);
    });
    await until('the stale tab to re-read the status', async () =>
      (await d.locator('#makeup-list li').count()) === 0
      && (await d.getAttribute(`#history li[data-date="${frozen}"]`, 'data-state')) === 'frozen'
      && (await text(d, '#balance')) === String(balance), 10_000);
  });

  quiet.add(d);
  quiet.add(c);
  await context.close();
}

suite.main(main);
