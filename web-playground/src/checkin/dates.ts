// Calendar dates as the API sends them (`YYYY-MM-DD`, dates in the user's own
// time zone): parsed and shown as UTC midnights so the browser's own zone never
// shifts a date by one.

export function parseDay(date: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

/** `date` moved by `days` (may be negative), as `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  const d = parseDay(date);
  if (!d) return date;
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function shortDate(date: string): string {
  const d = parseDay(date);
  if (!d) return date;
  return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function weekday(date: string): string {
  const d = parseDay(date);
  if (!d) return '';
  return d.toLocaleDateString(undefined, { weekday: 'short', timeZone: 'UTC' });
}

export function dayOfMonth(date: string): string {
  const d = parseDay(date);
  return d ? String(d.getUTCDate()) : date;
}

/** "Tuesday, March 10" (no year: the dates shown are all recent). */
export function mediumDate(date: string): string {
  const d = parseDay(date);
  if (!d) return date;
  return d.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'UTC' });
}

export function longDate(date: string): string {
  const d = parseDay(date);
  if (!d) return date;
  return d.toLocaleDateString(undefined, {
    weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC',
  });
}

export function dateTime(instant: string): string {
  const t = Date.parse(instant);
  if (!Number.isFinite(t)) return instant;
  return new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The UTC calendar date of an instant (e.g. an account's creation), or null. */
export function utcDate(instant: string): string | null {
  const t = Date.parse(instant);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : null;
}
