// Time zones on the check-in page, as pure functions (zones.test.ts): each
// user's days are counted in their own IANA zone (`SignInStatus.timeZone`) and
// today ends at `SignInStatus.dayEndsAt`. Here: the wall-clock time of that end
// in the user's zone, the countdown to it, waits such as "2 days 3 h", and the
// zone names the browser knows (for the form's datalist).
//
// Zones are formatted with Intl.DateTimeFormat and `timeZone`, never with the
// browser's own zone: someone in Paris whose days are counted in Tokyo reads
// Tokyo's midnight.

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * A duration for people: "0 min", "59 min", "3 h 12 min", "1 day", "2 days 3 h".
 * Rounded up (to the minute, and to the hour past a day), so that it never
 * says sooner than it is: "you can change it again in 7 days" is not too early,
 * and a countdown with 30 s left reads "1 min", not "0 min".
 */
export function durationText(ms: number): string {
  if (!(ms > 0)) return '0 min';
  const minutes = Math.ceil(ms / MINUTE_MS);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < DAY_MS / MINUTE_MS) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const hours = Math.ceil(ms / HOUR_MS);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  const days = `${d} ${d === 1 ? 'day' : 'days'}`;
  return h ? `${days} ${h} h` : days;
}

/**
 * The wall-clock time ("00:00", 24-hour) of the instant `iso` in `zone`, or
 * null when the instant cannot be read or the browser does not know the zone
 * (the service's zone database may be newer than the browser's).
 * `locale`: the browser's when left out (the tests pin one).
 */
export function localTime(iso: string, zone: string, locale?: string): string | null {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return null;
  try {
    // hourCycle h23: midnight is "00:00" (hour12: false gives "24:00" in some engines).
    return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone })
      .format(new Date(t));
  } catch {
    return null; // RangeError: a zone this browser does not know
  }
}

/**
 * The calendar date (`YYYY-MM-DD`) of the instant `iso` in `zone`, or null
 * when the instant cannot be read or the browser does not know the zone.
 * An account created at 20:00 UTC on March 6 by someone in Tokyo was created
 * on March 7 there: their days begin on the 7th.
 */
export function zoneDate(iso: string, zone: string): string | null {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return null;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      year: 'numeric', month: '2-digit', day: '2-digit', timeZone: zone,
    }).formatToParts(new Date(t));
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    const date = `${part('year')}-${part('month')}-${part('day')}`;
    return /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : null;
  } catch {
    return null;
  }
}

/**
 * The day-end line: "Your day ends at 00:00 in Europe/Paris, in 3 h 12 min."
 * `now` is the service's time as the page reckons it (ms). Once the end has
 * passed (until the status is read again, or when the clocks disagree) the
 * countdown is left out rather than shown wrong.
 */
export function dayEndText(dayEndsAt: string, zone: string, now: number, locale?: string): string {
  const time = localTime(dayEndsAt, zone, locale);
  const left = Date.parse(dayEndsAt) - now;
  const countdown = left > 0 ? durationText(left) : null;
  if (time && countdown) return `Your day ends at ${time} in ${zone}, in ${countdown}.`;
  if (time) return `Your day ends at ${time} in ${zone}.`;
  if (countdown) return `Your day in ${zone} ends in ${countdown}.`;
  return `Your days are counted in ${zone}.`;
}

/** How often a zone may change, in words: "once a week" for 7 days. */
export function changePeriod(days: number): string {
  if (days === 1) return 'once a day';
  if (days === 7) return 'once a week';
  if (days > 7 && days % 7 === 0) return `once every ${days / 7} weeks`;
  return `once every ${days} days`;
}

/** This device's IANA zone (what registration sends and the form offers), or '' when the browser does not say. */
export function deviceZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return '';
  }
}

/**
 * The zone names for the form's datalist: `Intl.supportedValuesOf('timeZone')`
 * where the browser has it (not typed by this project's ES2020 lib), plus
 * `extra` (the user's zone, the device's; "UTC", which some engines leave out
 * of the list), each once, sorted. Empty names are dropped.
 */
export function zoneNames(extra: string[] = [], supported = supportedZones()): string[] {
  return [...new Set([...supported, 'UTC', ...extra].filter((z) => z))].sort();
}

function supportedZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: 'timeZone') => string[] };
  try {
    return typeof intl.supportedValuesOf === 'function' ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}
