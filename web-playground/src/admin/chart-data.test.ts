import { describe, expect, it } from 'vitest';
import { chartSeries, dayFooter, rangeTotals, type DailyStats } from './chart-data';
import { checkRange, defaultRange, rangeDates } from './range';

function stats(date: string, byCycleDay: number[], over: Partial<DailyStats> = {}): DailyStats {
  return {
    date,
    signedIn: byCycleDay.reduce((a, b) => a + b, 0),
    byCycleDay,
    rewardTotal: 0,
    makeUps: 0,
    frozen: 0,
    milestoneBonusTotal: 0,
    ...over,
  };
}

describe('chartSeries', () => {
  const days = [
    stats('2026-03-09', [3, 1, 0, 0, 0, 0, 2], { rewardTotal: 240, milestoneBonusTotal: 50 }),
    stats('2026-03-10', [1, 2, 3, 4, 5, 6, 7], { rewardTotal: 900 }),
  ];
  it('labels each day by month and day, oldest first', () => {
    expect(chartSeries(days).labels).toEqual(['03-09', '03-10']);
  });
  it('turns the per-day counts into one series per cycle day', () => {
    const { byCycleDay } = chartSeries(days);
    expect(byCycleDay).toHaveLength(7);
    expect(byCycleDay[0]).toEqual([3, 1]);
    expect(byCycleDay[6]).toEqual([2, 7]);
  });
  it('fills a missing count with 0', () => {
    expect(chartSeries([stats('2026-03-10', [4])]).byCycleDay.map((s) => s[0])).toEqual([4, 0, 0, 0, 0, 0, 0]);
  });
  it('has the points paid per day and the sign-ins of the range', () => {
    const s = chartSeries(days);
    expect(s.rewards).toEqual([240, 900]);
    expect(s.bonuses).toEqual([50, 0]);
    expect(s.signedIn).toBe(34);
  });
  it('is empty for no days', () => {
    expect(chartSeries([])).toEqual({ labels: [], byCycleDay: [[], [], [], [], [], [], []], rewards: [], bonuses: [], signedIn: 0 });
  });
});

describe('rangeTotals and the tooltip', () => {
  it('add up the range', () => {
    const days = [
      stats('2026-03-09', [2], { rewardTotal: 20, makeUps: 1, frozen: 2, milestoneBonusTotal: 50 }),
      stats('2026-03-10', [3], { rewardTotal: 30, makeUps: 0, frozen: 1 }),
    ];
    expect(rangeTotals(days)).toEqual([
      ['Sign-ins', 5, 'signed-in'],
      ['Rewards paid', 50, 'rewards'],
      ['Milestone bonuses', 50, 'bonuses'],
      ['Make-ups', 1, 'make-ups'],
      ['Days frozen', 3, 'frozen'],
    ]);
    expect(dayFooter(days[0])).toBe('2 signed in · 1 made up · 2 frozen');
    expect(dayFooter(undefined)).toBe('');
  });
});

describe('date ranges', () => {
  it('default to the 30 days ending today', () => {
    expect(defaultRange('2026-03-10')).toEqual({ from: '2026-02-09', to: '2026-03-10' });
    expect(rangeDates(defaultRange('2026-03-10'))).toHaveLength(30);
  });
  it('are refused in words when empty, reversed or over 366 days', () => {
    expect(checkRange('', '2026-03-10')).toEqual({ error: 'Choose both a start and an end date.' });
    expect(checkRange('2026-03-11', '2026-03-10')).toEqual({ error: 'The start date must not be after the end date.' });
    expect(checkRange('2025-03-09', '2026-03-10')).toEqual({
      error: 'The range may span at most 366 days. Choose a later start or an earlier end.',
    });
  });
  it('accept up to 366 days, leap years included', () => {
    expect(checkRange('2025-03-10', '2026-03-10')).toEqual({ range: { from: '2025-03-10', to: '2026-03-10' } });
    expect(checkRange('2024-01-01', '2024-12-31')).toHaveProperty('range');
    expect(checkRange('2023-12-31', '2024-12-31')).toHaveProperty('error');
    expect(checkRange('2026-03-10', '2026-03-10')).toHaveProperty('range');
  });
  it('list every date, both ends included', () => {
    expect(rangeDates({ from: '2024-02-27', to: '2024-03-01' })).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
    expect(rangeDates({ from: '2026-03-10', to: '2026-03-10' })).toEqual(['2026-03-10']);
    expect(rangeDates({ from: '2025-03-10', to: '2026-03-10' })).toHaveLength(366);
  });
});
