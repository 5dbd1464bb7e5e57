// The users view's data (pure, no DOM): pasted ids, one grid row per user from
// `signInHistory`, each cell's state, mark and words, and the CSV of the grid.
import { longDate, utcDate } from '../checkin/dates';
import type { UsersHistoryQuery } from '../generated/graphql';

/** Rows per page when the page opens; the choices offered (searchUsers allows up to 100). */
export const DEFAULT_PAGE_SIZE = 50;
export const PAGE_SIZES = [10, 25, 50, 100] as const;

export type UserHistory = UsersHistoryQuery['signInHistory'][number];
export type GridUser = UserHistory['user'];
export type GridDay = UserHistory['days'][number];

/** What a cell shows: a sign-in, a made-up date, a frozen date, a missed one, today not yet, or nothing. */
export type CellState = 'signed' | 'made-up' | 'frozen' | 'missed' | 'pending' | 'before' | 'future';

export interface GridCell {
  date: string;
  state: CellState;
  cycleDay: number | null;
  /** What the cell shows: the cycle day, ↺, ❄, ✗ or nothing. */
  mark: string;
  /** The cell in words (its aria-label and title). */
  label: string;
  /** The cell in the CSV file. */
  csv: string;
}

export interface GridRow {
  user: GridUser;
  /** The UTC date of the account's creation (dates before it are blank, not missed). */
  registeredOn: string | null;
  cells: GridCell[];
}

/**
 * The state of `date` for a user registered on `registeredOn`, given their
 * history entry for it (if any) and the server's `today`.
 */
export function cellState(day: GridDay | undefined, date: string, today: string, registeredOn: string | null): CellState {
  if (day?.madeUp) return 'made-up';
  if (day?.signedIn) return 'signed';
  if (day?.frozen) return 'frozen';
  if (date > today) return 'future';
  if (registeredOn !== null && date < registeredOn) return 'before';
  if (date === today) return 'pending';
  return 'missed';
}

const WORDS: Record<CellState, string> = {
  signed: 'signed in',
  'made-up': 'made up',
  frozen: 'covered by a streak freeze',
  missed: 'missed',
  pending: 'not signed in yet',
  before: 'before registration',
  future: 'in the future',
};

export function cellMark(state: CellState, cycleDay: number | null): string {
  switch (state) {
    case 'signed': return cycleDay === null ? '✓' : String(cycleDay);
    case 'made-up': return '↺';
    case 'frozen': return '❄';
    case 'missed': return '✗';
    default: return '';
  }
}

/** The CSV value of a cell: `signed day 3`, `made up day 2`, `frozen`, `missed`, `pending`, or empty. */
export function cellCsv(state: CellState, cycleDay: number | null): string {
  const day = cycleDay === null ? '' : ` day ${cycleDay}`;
  switch (state) {
    case 'signed': return `signed${day}`;
    case 'made-up': return `made up${day}`;
    case 'frozen': return 'frozen';
    case 'missed': return 'missed';
    case 'pending': return 'pending';
    default: return '';
  }
}

export function gridCell(user: GridUser, day: GridDay | undefined, date: string, today: string, registeredOn: string | null): GridCell {
  const state = cellState(day, date, today, registeredOn);
  const cycleDay = (state === 'signed' || state === 'made-up') ? day?.cycleDay ?? null : null;
  const detail = cycleDay === null ? '' : ` (cycle day ${cycleDay})`;
  return {
    date,
    state,
    cycleDay,
    mark: cellMark(state, cycleDay),
    label: `${user.username}, ${longDate(date)}: ${WORDS[state]}${detail}`,
    csv: cellCsv(state, cycleDay),
  };
}

/** One row per user, in the API's order (that of the ids asked for), one cell per date. */
export function gridRows(histories: UserHistory[], dates: string[], today: string): GridRow[] {
  return histories.map((h) => {
    const registeredOn = utcDate(h.user.createdAt);
    const byDate = new Map(h.days.map((d) => [d.date, d]));
    return {
      user: h.user,
      registeredOn,
      cells: dates.map((date) => gridCell(h.user, byDate.get(date), date, today, registeredOn)),
    };
  });
}

/** The ids asked for that the API left out (unknown or deleted users). */
export function missingIds(asked: string[], histories: UserHistory[]): string[] {
  const found = new Set(histories.map((h) => h.user.id));
  return asked.filter((id) => !found.has(id));
}

/**
 * User ids pasted in any form (one per line, comma or space separated, a
 * column copied from a spreadsheet): each once, in the order given.
 */
export function parseIds(text: string): { ids: string[] } | { error: string } {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) return { error: 'Paste one or more user ids.' };
  const bad = parts.filter((p) => !/^\d{1,18}$/.test(p));
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((b) => `“${b}”`).join(', ');
    return { error: `User ids are digits only: ${shown}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''} ${bad.length === 1 ? 'is' : 'are'} not.` };
  }
  return { ids: [...new Set(parts.map((p) => p.replace(/^0+(?=\d)/, '')))] };
}

/** The ids of page `page` (0-based) of `size`, and whether another page follows. */
export function idsPage(ids: string[], page: number, size: number): { ids: string[]; hasNext: boolean } {
  const start = page * size;
  return { ids: ids.slice(start, start + size), hasNext: ids.length > start + size };
}

/** "Users 11–20", or "No users" on an empty page. */
export function pageLabel(page: number, size: number, count: number): string {
  if (count === 0) return 'No users';
  const first = page * size + 1;
  return `Users ${first}–${first + count - 1}`;
}

/**
 * One CSV field: a value a spreadsheet would read as a formula (starting with
 * `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
 * OWASP's CSV injection advice says; then RFC 4180 quoting where needed.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The grid as CSV (RFC 4180, CRLF): `user_id,username,registered,<date>…`, one line per user. */
export function gridCsv(rows: GridRow[], dates: string[]): string {
  const lines = [['user_id', 'username', 'registered', ...dates]];
  for (const r of rows) {
    lines.push([r.user.id, r.user.username, r.registeredOn ?? '', ...r.cells.map((c) => c.csv)]);
  }
  return lines.map((l) => l.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** The file name of the grid's CSV. */
export function csvFileName(from: string, to: string, page: number): string {
  return `users-${from}-${to}${page > 0 ? `-page-${page + 1}` : ''}.csv`;
}
