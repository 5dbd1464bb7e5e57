// "Where you're signed in": the words for one session, pure (devices.test.ts).
// A session is known by the User-Agent of its login (at most 200 characters,
// or none); people recognise "Chrome 131 on Windows", not the whole string.
import { dateTime } from './dates';

/** Longest text shown for a User-Agent no rule below recognises. */
export const UA_MAX = 40;

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/\bChromium\/(\d+)/, 'Chromium'],
  [/\bChrome\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)(?:[.\d]*)?(?: Mobile\/\w+)? Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bWindows (?:NT|Phone)\b/, 'Windows'],
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\b(?:Macintosh|Mac OS X)\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * A short name for the device or client of a User-Agent: "Chrome 131 on
 * Windows", "Safari 17 on iPhone", "Firefox 140 on Linux", "curl 8" (a program:
 * its first product and major version), or the start of the text (UA_MAX
 * characters, then "…"). "Unknown device" for none.
 */
export function shortUserAgent(ua: string | null | undefined): string {
  const text = (ua ?? '').replace(/\s+/g, ' ').trim();
  if (!text) return 'Unknown device';
  let browser = '';
  for (const [re, name] of BROWSERS) {
    const m = re.exec(text);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  let system = '';
  for (const [re, name] of SYSTEMS) {
    if (re.test(text)) {
      system = name;
      break;
    }
  }
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  // A program rather than a browser: "curl/8.5.0", "okhttp/4.12.0", "node".
  const product = /^([A-Za-z][\w.-]*)(?:\/v?(\d+)[\w.-]*)?(?:\s|$)/.exec(text);
  if (product && !/^Mozilla$/i.test(product[1])) {
    const name = product[1].length > UA_MAX ? `${product[1].slice(0, UA_MAX - 1)}…` : product[1];
    return product[2] ? `${name} ${product[2]}` : name;
  }
  if (system) return `A browser on ${system}`;
  return text.length > UA_MAX ? `${text.slice(0, UA_MAX - 1)}…` : text;
}

/** One session as the page lists it. */
export interface SessionWords {
  /** "Chrome 131 on Windows". */
  device: string;
  /** The whole User-Agent (a tooltip), or ''. */
  userAgent: string;
  /** "Signed in Mar 9, 2026, 8:15 AM · last used Mar 10, 2026, 7:02 PM". */
  times: string;
  /** "this device" for the session of this page, else ''. */
  badge: string;
  /** An aria-label for the row, in words. */
  label: string;
}

export function sessionWords(s: {
  userAgent?: string | null; createdAt: string; lastUsedAt: string; current: boolean;
}): SessionWords {
  const device = shortUserAgent(s.userAgent);
  const times = `Signed in ${dateTime(s.createdAt)} · last used ${dateTime(s.lastUsedAt)}`;
  const badge = s.current ? 'this device' : '';
  return {
    device,
    userAgent: (s.userAgent ?? '').trim(),
    times,
    badge,
    label: `${device}${badge ? ` (${badge})` : ''}: ${times.replace(' · ', ', ')}`,
  };
}
