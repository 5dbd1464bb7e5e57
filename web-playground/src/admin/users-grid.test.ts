import { describe, expect, it } from 'vitest';
import {
  cellState, csvField, csvFileName, gridCsv, gridRows, idsPage, missingIds, pageLabel, parseIds,
  type GridDay, type UserHistory,
} from './users-grid';

const today = '2026-03-10';
const dates = ['2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10', '2026-03-11'];

function day(date: string, over: Partial<GridDay> = {}): GridDay {
  return { date, signedIn: false, cycleDay: null, madeUp: false, frozen: false, ...over };
}

/** Ann registered on 03-07 (UTC, though it was still 03-06 in her zone) and did a bit of everything. */
const ann: UserHistory = {
  user: { id: '7', username: 'ann', createdAt: '2026-03-06T22:30:00-05:00' },
  days: [
    day('2026-03-06'),
    day('2026-03-07', { signedIn: true, cycleDay: 1 }),
    day('2026-03-08', { signedIn: true, madeUp: true, cycleDay: 2 }),
    day('2026-03-09', { frozen: true }),
    day('2026-03-10', { signedIn: true, cycleDay: 3 }),
    day('2026-03-11'),
  ],
};
/** Bob, older, missed a day and has not signed in today. */
const bob: UserHistory = {
  user: { id: '12', username: '-bob', createdAt: '2026-01-01T09:00:00Z' },
  days: dates.map((d) => day(d, d === '2026-03-06' ? { signedIn: true, cycleDay: 7 } : {})),
};

describe('cellState', () => {
  it('puts what happened first, then the calendar', () => {
    expect(cellState(day(today, { signedIn: true, madeUp: true }), today, today, null)).toBe('made-up');
    expect(cellState(day(today, { signedIn: true }), today, today, null)).toBe('signed');
    expect(cellState(day('2026-03-09', { frozen: true }), '2026-03-09', today, null)).toBe('frozen');
    expect(cellState(day('2026-03-11'), '2026-03-11', today, null)).toBe('future');
    expect(cellState(day('2026-03-01'), '2026-03-01', today, '2026-03-05')).toBe('before');
    expect(cellState(day(today), today, today, today)).toBe('pending');
    expect(cellState(day('2026-03-09'), '2026-03-09', today, '2026-03-05')).toBe('missed');
    expect(cellState(undefined, '2026-03-09', today, null)).toBe('missed');
  });
});

describe('gridRows', () => {
  const rows = gridRows([bob, ann], dates, today);
  it('keeps the API order, one cell per date', () => {
    expect(rows.map((r) => r.user.username)).toEqual(['-bob', 'ann']);
    expect(rows.every((r) => r.cells.length === dates.length)).toBe(true);
  });
  it('shows each date by its state: cycle day, ↺, ❄, ✗ or nothing', () => {
    const annRow = rows[1];
    expect(annRow?.registeredOn).toBe('2026-03-07');
    expect(annRow?.cells.map((c) => c.state)).toEqual(['before', 'signed', 'made-up', 'frozen', 'signed', 'future']);
    expect(annRow?.cells.map((c) => c.mark)).toEqual(['', '1', '↺', '❄', '3', '']);
    expect(rows[0]?.cells.map((c) => c.mark)).toEqual(['7', '✗', '✗', '✗', '', '']);
    expect(rows[0]?.cells[4]?.state).toBe('pending');
  });
  it('says every cell in words', () => {
    expect(rows[1]?.cells.map((c) => c.label)).toEqual([
      'ann, Friday, March 6, 2026: before registration',
      'ann, Saturday, March 7, 2026: signed in (cycle day 1)',
      'ann, Sunday, March 8, 2026: made up (cycle day 2)',
      'ann, Monday, March 9, 2026: covered by a streak freeze',
      'ann, Tuesday, March 10, 2026: signed in (cycle day 3)',
      'ann, Wednesday, March 11, 2026: in the future',
    ]);
    expect(rows[0]?.cells[1]?.label).toBe('-bob, Saturday, March 7, 2026: missed');
    expect(rows[0]?.cells[4]?.label).toBe('-bob, Tuesday, March 10, 2026: not signed in yet');
  });
});

describe('the CSV', () => {
  it('neutralises what a spreadsheet would run as a formula', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      expect(csvField(`${lead}1+1`).replace(/^"/, '')).toMatch(/^'/);
    }
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('-bob')).toBe("'-bob");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    expect(csvField('ann')).toBe('ann');
    expect(csvField('a-b')).toBe('a-b');
    expect(csvField('2026-03-10')).toBe('2026-03-10');
  });
  it('quotes as RFC 4180 says', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
  });
  it('is the grid: users × dates, CRLF lines', () => {
    const csv = gridCsv(gridRows([ann, bob], dates, today), dates);
    expect(csv.split('\r\n')).toEqual([
      'user_id,username,registered,2026-03-06,2026-03-07,2026-03-08,2026-03-09,2026-03-10,2026-03-11',
      '7,ann,2026-03-07,,signed day 1,made up day 2,frozen,signed day 3,',
      "12,'-bob,2026-01-01,signed day 7,missed,missed,missed,pending,",
      '',
    ]);
  });
  it('has a header row even for no users, and a name for its file', () => {
    expect(gridCsv([], ['2026-03-10'])).toBe('user_id,username,registered,2026-03-10\r\n');
    expect(csvFileName('2026-02-09', '2026-03-10', 0)).toBe('users-2026-02-09-2026-03-10.csv');
    expect(csvFileName('2026-02-09', '2026-03-10', 2)).toBe('users-2026-02-09-2026-03-10-page-3.csv');
  });
});

describe('pasted ids', () => {
  it('are read in any common layout, each once, in order', () => {
    expect(parseIds('12, 7\n12;40 \t 007\r\n')).toEqual({ ids: ['12', '7', '40'] });
    expect(parseIds('1')).toEqual({ ids: ['1'] });
  });
  it('are refused in words when missing or not ids', () => {
    expect(parseIds(' \n ')).toEqual({ error: 'Paste one or more user ids.' });
    expect(parseIds('12, ann')).toEqual({ error: 'User ids are digits only: “ann” is not.' });
    expect(parseIds('a b c d e')).toEqual({ error: 'User ids are digits only: “a”, “b”, “c” and 2 more are not.' });
    expect(parseIds('-1')).toHaveProperty('error');
  });
  it('are paged, and those the API left out are named', () => {
    const ids = Array.from({ length: 23 }, (_, i) => String(i + 1));
    expect(idsPage(ids, 0, 10)).toEqual({ ids: ids.slice(0, 10), hasNext: true });
    expect(idsPage(ids, 2, 10)).toEqual({ ids: ['21', '22', '23'], hasNext: false });
    expect(idsPage(ids.slice(0, 20), 1, 10).hasNext).toBe(false);
    expect(missingIds(['7', '8', '12'], [ann, bob])).toEqual(['8']);
  });
  it('pages are labelled by the users they show', () => {
    expect(pageLabel(0, 10, 10)).toBe('Users 1–10');
    expect(pageLabel(2, 10, 3)).toBe('Users 21–23');
    expect(pageLabel(0, 50, 0)).toBe('No users');
  });
});
