// What the browser tests (e2e.mjs, admin-e2e.mjs) share: the environment they
// read, Chromium, the watch on every page (console errors, page errors, failed
// requests, requests to another host, HTTP status >= 400, WebSocket frames),
// `step`/`until`, the watchdog over the whole run, and GraphQL calls from node.
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
export const BASE_ORIGIN = new URL(BASE_URL).origin;
export const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || 'build/screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PASSWORD = 'correct-horse-battery';

/** Debian's Chromium, headless, with nothing that talks to other hosts. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * One test run: `name` prefixes the final `NAME: N passed, M failed` line, and
 * the whole run fails after `totalTimeoutMs` (E2E_TIMEOUT_MS overrides it).
 * Pages handed to `watch` report their problems here; any problem fails the step
 * that saw it. `run.browser` is closed by the watchdog or when `main` fails.
 */
export function createRun(name, totalTimeoutMs) {
  const timeoutMs = Number(process.env.E2E_TIMEOUT_MS || totalTimeoutMs);
  /** Console errors, page errors, failed requests and HTTP errors seen so far. */
  const problems = [];
  /** Pages being closed or navigated on purpose: their aborted requests are expected. */
  const quiet = new WeakSet();
  /** WebSocket frames seen, for the subscription checks. */
  const wsFrames = [];
  /** WebSockets opened, per page label. */
  const wsOpened = {};

  const run = {
    passed: 0,
    failed: 0,
    browser: undefined,
    quiet,
    wsOpened,
    finish(code) {
      console.log(`${name}: ${run.passed} passed, ${run.failed} failed`);
      process.exit(code);
    },
  };

  const watchdog = setTimeout(() => {
    console.error(`FAIL: the whole run took longer than ${timeoutMs} ms`);
    run.failed += 1;
    run.browser?.close().catch(() => {});
    run.finish(1);
  }, timeoutMs);

  /** Reports every problem `page` runs into, labelled `label`. */
  run.watch = (page, label) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const loc = msg.location();
        problems.push(`[${label}] console error: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`[${label}] page error: ${e.message}`));
    page.on('request', (req) => {
      // Everything must come from the service itself: no CDN, no web fonts elsewhere.
      const url = req.url();
      if (/^(data|blob):/.test(url)) return;
      if (new URL(url).origin !== BASE_ORIGIN) problems.push(`[${label}] request to another host: ${req.method()} ${url}`);
    });
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText || 'unknown';
      if (quiet.has(page) && why.includes('ERR_ABORTED')) return;
      problems.push(`[${label}] request failed: ${req.method()} ${req.url()}: ${why}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) {
        problems.push(`[${label}] HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
      }
    });
    page.on('websocket', (ws) => {
      wsOpened[label] = (wsOpened[label] || 0) + 1;
      ws.on('socketerror', (e) => problems.push(`[${label}] websocket error on ${ws.url()}: ${e}`));
      ws.on('framesent', (f) => wsFrames.push({ page: label, dir: 'sent', payload: String(f.payload) }));
      ws.on('framereceived', (f) => wsFrames.push({ page: label, dir: 'received', payload: String(f.payload) }));
    });
  };

  /** The JSON messages page `label` sent or received (`dir`) on its WebSockets. */
  run.wsMessages = (label, dir) => {
    const out = [];
    for (const f of wsFrames) {
      if (f.page !== label || f.dir !== dir) continue;
      try { out.push(JSON.parse(f.payload)); } catch { /* not JSON */ }
    }
    return out;
  };

  /** Runs one named check: it fails on a throw or on any problem a watched page reported. */
  run.step = async (stepName, fn) => {
    try {
      await fn();
      if (problems.length > 0) throw new Error(`browser reported problems:\n  - ${problems.join('\n  - ')}`);
      run.passed += 1;
      console.log(`ok   ${stepName}`);
    } catch (e) {
      run.failed += 1;
      let text = String(e?.stack || e);
      if (problems.length > 0 && !text.includes('browser reported problems')) {
        text += `\nbrowser reported problems:\n  - ${problems.join('\n  - ')}`;
      }
      console.error(`FAIL ${stepName}\n     ${text.split('\n').join('\n     ')}`);
      throw e;
    }
  };

  /** Runs `main` and exits: 0 when every step passed, 1 otherwise. */
  run.main = (main) => main().then(
    () => {
      clearTimeout(watchdog);
      run.finish(run.failed === 0 ? 0 : 1);
    },
    async (e) => {
      clearTimeout(watchdog);
      if (run.failed === 0) {
        run.failed += 1;
        console.error(`FAIL ${String(e?.stack || e)}`);
      }
      await run.browser?.close().catch(() => {});
      run.finish(1);
    },
  );

  return run;
}

/** Polls `fn` until it returns something truthy; throws after `timeoutMs`. */
export async function until(what, fn, timeoutMs = 10_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A GraphQL call from the test itself (not the page), e.g. as the admin. */
export async function api(query, variables, token) {
  const res = await fetch(`${BASE_URL}/graphql`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`GraphQL error in ${query.slice(0, 40)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Operations whose answer carries an access token (AuthPayload). */
const AUTH_FIELDS = ['register', 'login', 'refreshSession', 'changePassword'];

/**
 * Records every access token `page` receives (the answers of register, login,
 * refreshSession): the pages keep it in memory only, so a test that needs it
 * (to call the API as that user, to paste it into GraphiQL) reads it here.
 * `all` in order of arrival, `latest` the last one.
 */
export function watchTokens(page) {
  const seen = { all: [], latest: '' };
  page.on('response', async (res) => {
    const req = res.request();
    if (req.method() !== 'POST' || !req.url().endsWith('/graphql')) return;
    let body;
    try { body = await res.json(); } catch { return; }
    for (const field of AUTH_FIELDS) {
      const token = body?.data?.[field]?.token;
      if (typeof token === 'string' && token) {
        seen.all.push(token);
        seen.latest = token;
      }
    }
  });
  return seen;
}

/** Anything that looks like a JWT (three base64url parts, the first a JSON header). */
export const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/;

/**
 * The entries of `page`'s localStorage and sessionStorage that hold one of
 * `tokens` or anything JWT-like, as `storage: key` strings (none: []).
 */
export async function storageLeaks(page, tokens) {
  const entries = await page.evaluate(() => {
    const out = [];
    for (const [name, store] of [['localStorage', localStorage], ['sessionStorage', sessionStorage]]) {
      for (let i = 0; i < store.length; i += 1) {
        const key = store.key(i);
        out.push({ name, key, value: store.getItem(key) ?? '' });
      }
    }
    return out;
  });
  return entries
    .filter(({ key, value }) => tokens.some((t) => t && (value.includes(t) || key.includes(t)))
      || JWT_LIKE.test(value) || JWT_LIKE.test(key))
    .map(({ name, key }) => `${name}: ${key}`);
}

/** `YYYY-MM-DD` plus `days`. */
export function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
