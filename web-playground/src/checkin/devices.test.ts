import { describe, expect, it } from 'vitest';
import { UA_MAX, sessionWords, shortUserAgent } from './devices';

const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  chromeIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  samsung: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  opera: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
  chromeOs: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

describe('shortUserAgent', () => {
  it('names the browser, its major version and the system', () => {
    expect(shortUserAgent(UA.chromeWindows)).toBe('Chrome 131 on Windows');
    expect(shortUserAgent(UA.headless)).toBe('Headless Chrome 131 on Linux');
    expect(shortUserAgent(UA.edge)).toBe('Edge 131 on Windows');
    expect(shortUserAgent(UA.firefoxLinux)).toBe('Firefox 140 on Linux');
    expect(shortUserAgent(UA.safariMac)).toBe('Safari 17 on macOS');
    expect(shortUserAgent(UA.safariIphone)).toBe('Safari 17 on iPhone');
    expect(shortUserAgent(UA.chromeIphone)).toBe('Chrome 131 on iPhone');
    expect(shortUserAgent(UA.chromeAndroid)).toBe('Chrome 131 on Android');
    expect(shortUserAgent(UA.samsung)).toBe('Samsung Internet 26 on Android');
    expect(shortUserAgent(UA.opera)).toBe('Opera 115 on Windows');
    expect(shortUserAgent(UA.chromeOs)).toBe('Chrome 131 on ChromeOS');
  });

  it('names a program by its first product', () => {
    expect(shortUserAgent('curl/8.5.0')).toBe('curl 8');
    expect(shortUserAgent('okhttp/4.12.0')).toBe('okhttp 4');
    expect(shortUserAgent('node')).toBe('node');
    expect(shortUserAgent('python-requests/2.32.3 extra')).toBe('python-requests 2');
  });

  it('keeps the start of anything else, and says when there is nothing', () => {
    expect(shortUserAgent(null)).toBe('Unknown device');
    expect(shortUserAgent(undefined)).toBe('Unknown device');
    expect(shortUserAgent('   ')).toBe('Unknown device');
    expect(shortUserAgent('Mozilla/5.0 (X11; Linux x86_64) SomethingNew')).toBe('A browser on Linux');
    const odd = `(${'x'.repeat(100)})`;
    expect(shortUserAgent(odd)).toHaveLength(UA_MAX);
    expect(shortUserAgent(odd).endsWith('…')).toBe(true);
    // At most 200 characters come from the API; nothing shown is longer than the rule allows.
    expect(shortUserAgent(`${'a'.repeat(199)}/1`).length).toBeLessThanOrEqual(UA_MAX + 2);
  });
});

describe('sessionWords', () => {
  const base = {
    userAgent: UA.chromeWindows,
    createdAt: '2026-03-09T15:15:00Z',
    lastUsedAt: '2026-03-11T02:02:00Z',
    current: false,
  };
  it('gives the device, the times in the local zone and no badge for another session', () => {
    const w = sessionWords(base);
    expect(w.device).toBe('Chrome 131 on Windows');
    expect(w.userAgent).toBe(UA.chromeWindows);
    // Tests run in America/Los_Angeles: 15:15Z is 8:15 AM, 02:02Z on the 11th is 7:02 PM on the 10th.
    expect(w.times).toBe('Signed in Mar 9, 2026, 8:15 AM · last used Mar 10, 2026, 7:02 PM');
    expect(w.badge).toBe('');
    expect(w.label).toBe('Chrome 131 on Windows: Signed in Mar 9, 2026, 8:15 AM, last used Mar 10, 2026, 7:02 PM');
  });
  it('marks this device', () => {
    const w = sessionWords({ ...base, current: true, userAgent: null });
    expect(w.device).toBe('Unknown device');
    expect(w.userAgent).toBe('');
    expect(w.badge).toBe('this device');
    expect(w.label.startsWith('Unknown device (this device): Signed in')).toBe(true);
  });
});
