import { describe, expect, it } from 'vitest';
import {
  addDays, dateTime, dayOfMonth, longDate, mediumDate, parseDay, shortDate, utcDate, weekday,
} from './dates';

describe('the test environment', () => {
  it('runs in en-US, west of UTC', () => {
    expect(Intl.DateTimeFormat().resolvedOptions().locale).toBe('en-US');
    expect(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset()).toBeGreaterThan(0);
  });
});

describe('parseDay', () => {
  it('reads YYYY-MM-DD as a UTC midnight', () => {
    expect(parseDay('2026-03-10')?.toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });
  it('refuses anything else', () => {
    for (const bad of ['', '2026-3-10', '10/03/2026', '2026-03-10T00:00:00Z', 'x']) {
      expect(parseDay(bad)).toBeNull();
    }
  });
});

describe('addDays', () => {
  it('moves across months, years and leap days', () => {
    expect(addDays('2026-03-10', 1)).toBe('2026-03-11');
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-10', -365)).toBe('2025-03-10');
    expect(addDays('2026-03-10', 0)).toBe('2026-03-10');
  });
  it('is not shifted by daylight saving time in the local zone', () => {
    // 2026-03-08 is the US switch to summer time.
    expect(addDays('2026-03-07', 1)).toBe('2026-03-08');
    expect(addDays('2026-03-08', 1)).toBe('2026-03-09');
    expect(addDays('2026-11-01', 1)).toBe('2026-11-02');
  });
  it('leaves a date it cannot read as it is', () => {
    expect(addDays('soon', 3)).toBe('soon');
  });
});

describe('the date texts', () => {
  it('show the date itself, not the local day before it', () => {
    expect(longDate('2026-03-10')).toBe('Tuesday, March 10, 2026');
    expect(mediumDate('2026-03-10')).toBe('Tuesday, March 10');
    expect(shortDate('2026-03-10')).toBe('10 Tue');
    expect(weekday('2026-03-10')).toBe('Tue');
    expect(dayOfMonth('2026-03-01')).toBe('1');
  });
  it('fall back to the text they were given', () => {
    expect(longDate('later')).toBe('later');
    expect(mediumDate('later')).toBe('later');
    expect(shortDate('later')).toBe('later');
    expect(weekday('later')).toBe('');
    expect(dayOfMonth('later')).toBe('later');
    expect(dateTime('not a time')).toBe('not a time');
  });
  it('show an instant in the local zone', () => {
    // 18:30 UTC is 11:30 in Los Angeles (summer time).
    expect(dateTime('2026-06-01T18:30:00Z')).toBe('Jun 1, 2026, 11:30 AM');
  });
});

describe('utcDate', () => {
  it('is the UTC calendar date of an instant', () => {
    expect(utcDate('2026-03-10T23:30:00-05:00')).toBe('2026-03-11');
    expect(utcDate('2026-03-10T00:00:00Z')).toBe('2026-03-10');
    expect(utcDate('2026-03-10T08:00:00.123456+09:00')).toBe('2026-03-09');
  });
  it('is null for anything else', () => {
    expect(utcDate('')).toBeNull();
    expect(utcDate('yesterday')).toBeNull();
  });
});
