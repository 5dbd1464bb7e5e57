import { describe, expect, it } from 'vitest';
import { changePeriod, dayEndText, deviceZone, durationText, localTime, zoneDate, zoneNames } from './zones';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;

describe('durationText', () => {
  it.each([
    [0, '0 min'],
    [-5 * MIN, '0 min'],
    [Number.NaN, '0 min'],
    [1, '1 min'], // rounded up: never sooner than it is
    [30_000, '1 min'],
    [MIN, '1 min'],
    [59 * MIN, '59 min'],
    [59 * MIN + 1, '1 h'],
    [H, '1 h'],
    [3 * H + 12 * MIN, '3 h 12 min'],
    [3 * H + 11 * MIN + 1, '3 h 12 min'],
    [23 * H + 59 * MIN, '23 h 59 min'],
    [DAY - 30_000, '1 day'],
    [DAY, '1 day'],
    [25 * H, '1 day 1 h'], // a day that lasts 25 h (the clocks went back)
    [2 * DAY + 3 * H, '2 days 3 h'],
    [2 * DAY + 2 * H + 30 * MIN, '2 days 3 h'],
    [7 * DAY - 1000, '7 days'], // retryAfter just under a week
  ])('%d ms reads "%s"', (ms, text) => {
    expect(durationText(ms)).toBe(text);
  });
});

describe('localTime', () => {
  it.each([
    // The end of 2026-03-10 in each zone, as the service sends it.
    ['2026-03-09T23:00:00Z', 'Europe/Paris', '00:00'],
    ['2026-07-01T22:00:00Z', 'Europe/Paris', '00:00'], // summer time
    ['2026-03-10T15:00:00Z', 'Asia/Tokyo', '00:00'],
    ['2026-03-11T04:00:00Z', 'America/New_York', '00:00'],
    ['2026-03-10T18:30:00Z', 'Asia/Kolkata', '00:00'],
    ['2026-03-10T18:15:00Z', 'Asia/Kathmandu', '00:00'],
    ['2026-03-10T10:00:00Z', 'Pacific/Kiritimati', '00:00'],
    ['2026-03-11T00:00:00Z', 'UTC', '00:00'],
    ['2026-03-11T00:00:00+00:00', 'UTC', '00:00'],
    // Chile's clocks skip midnight on 2026-09-06: that day starts at 01:00.
    ['2026-09-06T04:00:00Z', 'America/Santiago', '01:00'],
    ['2026-03-10T12:34:00Z', 'Asia/Tokyo', '21:34'],
  ])('%s in %s is %s', (iso, zone, time) => {
    // Midnight is 00:00 in a 12-hour locale too, and whatever the browser's own zone.
    expect(localTime(iso, zone, 'en-US')).toBe(time);
    expect(localTime(iso, zone, 'en-GB')).toBe(time);
  });
  it('is null for a zone the browser does not know, or no instant', () => {
    expect(localTime('2026-03-10T15:00:00Z', 'Mars/Olympus', 'en-US')).toBeNull();
    expect(localTime('tomorrow', 'Asia/Tokyo', 'en-US')).toBeNull();
  });
});

describe('zoneDate', () => {
  it.each([
    ['2026-03-06T20:00:00Z', 'Asia/Tokyo', '2026-03-07'],
    ['2026-03-06T20:00:00Z', 'UTC', '2026-03-06'],
    ['2026-03-07T02:00:00Z', 'America/New_York', '2026-03-06'],
    ['2026-03-06T23:30:00+00:00', 'Europe/Paris', '2026-03-07'],
    ['2026-12-31T23:59:59Z', 'Pacific/Kiritimati', '2027-01-01'],
  ])('%s in %s is %s', (iso, zone, date) => {
    expect(zoneDate(iso, zone)).toBe(date);
  });
  it('is null for a zone the browser does not know, or no instant', () => {
    expect(zoneDate('2026-03-06T20:00:00Z', 'Mars/Olympus')).toBeNull();
    expect(zoneDate('yesterday', 'UTC')).toBeNull();
  });
});

describe('dayEndText', () => {
  const END = '2026-03-10T15:00:00Z'; // midnight in Tokyo
  const end = Date.parse(END);
  it.each([
    [end - 3 * H - 12 * MIN, 'Your day ends at 00:00 in Asia/Tokyo, in 3 h 12 min.'],
    [end - 59 * MIN, 'Your day ends at 00:00 in Asia/Tokyo, in 59 min.'],
    [end - 20_000, 'Your day ends at 00:00 in Asia/Tokyo, in 1 min.'],
    [end - 26 * H, 'Your day ends at 00:00 in Asia/Tokyo, in 1 day 2 h.'],
    // Over (until the status is read again), or the clocks disagree: no countdown.
    [end, 'Your day ends at 00:00 in Asia/Tokyo.'],
    [end + 5 * MIN, 'Your day ends at 00:00 in Asia/Tokyo.'],
  ])('at %d', (now, text) => {
    expect(dayEndText(END, 'Asia/Tokyo', now, 'en-US')).toBe(text);
  });
  it('does without the time when the browser does not know the zone', () => {
    expect(dayEndText(END, 'Mars/Olympus', end - 2 * H, 'en-US')).toBe('Your day in Mars/Olympus ends in 2 h.');
    expect(dayEndText(END, 'Mars/Olympus', end + 1, 'en-US')).toBe('Your days are counted in Mars/Olympus.');
    expect(dayEndText('soon', 'Asia/Tokyo', end, 'en-US')).toBe('Your days are counted in Asia/Tokyo.');
  });
});

describe('changePeriod', () => {
  it.each([
    [1, 'once a day'],
    [7, 'once a week'],
    [14, 'once every 2 weeks'],
    [3, 'once every 3 days'],
    [10, 'once every 10 days'],
  ])('%d days: %s', (days, text) => {
    expect(changePeriod(days)).toBe(text);
  });
});

describe('zone names', () => {
  it("is this device's zone (the tests run in America/Los_Angeles)", () => {
    expect(deviceZone()).toBe('America/Los_Angeles');
  });
  it('lists the supported names, UTC and the extra ones, each once, sorted, no empty name', () => {
    expect(zoneNames(['Europe/Paris', '', 'Asia/Tokyo'], ['Europe/Paris', 'America/New_York']))
      .toEqual(['America/New_York', 'Asia/Tokyo', 'Europe/Paris', 'UTC']);
    expect(zoneNames([], [])).toEqual(['UTC']);
  });
  it("takes the browser's list where it has one", () => {
    const names = zoneNames();
    expect(names).toContain('Europe/Paris');
    expect(names).toContain('UTC');
  });
});
