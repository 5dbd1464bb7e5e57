import { describe, expect, it } from 'vitest';
import { cycleDayView } from './cycle';
import {
  dayState, dayWords, freezeOffer, makeUpOffers, milestoneText, shownHistory,
} from './protection';
import type { HistoryDay, SignInStatus, Tx } from './state';
import { amountText, mergeTxs } from './wallet';

const idle = { buyingFreeze: false, makingUp: null };

function status(over: Partial<SignInStatus> = {}): SignInStatus {
  return {
    today: '2026-03-10',
    signedInToday: false,
    streak: 2,
    cycleDay: 3,
    todayReward: 20,
    freezesHeld: 0,
    makeUpDates: ['2026-03-07', '2026-03-08'],
    makeUpsLeft: 3,
    nextMilestone: { streak: 7, bonus: 50 },
    makeUpCost: 50,
    freezeCost: 200,
    maxFreezes: 2,
    timeZone: 'Europe/Paris',
    dayEndsAt: '2026-03-10T23:00:00Z',
    cycle: [],
    ...over,
  };
}

function day(date: string, over: Partial<HistoryDay> = {}): HistoryDay {
  return { date, signedIn: false, cycleDay: null, streak: null, reward: null, madeUp: false, frozen: false, ...over };
}

describe('freezeOffer', () => {
  it('offers a freeze below the maximum', () => {
    const o = freezeOffer(status({ freezesHeld: 1 }), idle);
    expect(o).toMatchObject({ text: 'Streak freezes: 1 of 2', held: 1, button: 'Buy a freeze (200 points)', disabled: false });
    expect(o.hint).toBe('A freeze covers a missed day by itself when you next sign in.');
  });
  it('offers none at the maximum, and says why', () => {
    const o = freezeOffer(status({ freezesHeld: 2 }), idle);
    expect(o.disabled).toBe(true);
    expect(o.text).toBe('Streak freezes: 2 of 2');
    expect(o.hint).toMatch(/^You hold the most freezes allowed/);
  });
  it('cannot be clicked twice while buying', () => {
    const o = freezeOffer(status({ freezeCost: 1 }), { buyingFreeze: true, makingUp: null });
    expect(o).toMatchObject({ disabled: true, button: 'Buying…' });
    expect(freezeOffer(status({ freezeCost: 1 }), idle).button).toBe('Buy a freeze (1 point)');
  });
});

describe('makeUpOffers', () => {
  it('offers each missed date the API allows, oldest first', () => {
    const { offers, left } = makeUpOffers(status(), idle);
    expect(offers.map((o) => o.date)).toEqual(['2026-03-07', '2026-03-08']);
    expect(offers[0]).toEqual({
      date: '2026-03-07',
      label: 'Saturday, March 7',
      title: 'Saturday, March 7, 2026',
      button: 'Make up (50 points)',
      ariaLabel: 'Make up Saturday, March 7, 2026 for 50 points',
      disabled: false,
    });
    expect(left).toBe('Make-ups left this month: 3. Each costs 50 points and earns no reward, but keeps your streak.');
  });
  it('disables every button while one make-up is in flight', () => {
    const { offers } = makeUpOffers(status(), { buyingFreeze: false, makingUp: '2026-03-08' });
    expect(offers.map((o) => [o.button, o.disabled])).toEqual([
      ['Make up (50 points)', true],
      ['Making up…', true],
    ]);
  });
  it('disables them when no make-up is left this month', () => {
    const { offers, left } = makeUpOffers(status({ makeUpsLeft: 0 }), idle);
    expect(offers.every((o) => o.disabled)).toBe(true);
    expect(left).toBe('No make-ups left this month.');
  });
  it('offers nothing when nothing was missed', () => {
    expect(makeUpOffers(status({ makeUpDates: [] }), idle).offers).toEqual([]);
  });
});

describe('milestoneText', () => {
  it('names the next milestone, or nothing', () => {
    expect(milestoneText({ streak: 30, bonus: 300 })).toBe('Next milestone: 30-day streak, +300 points');
    expect(milestoneText(null)).toBe('');
  });
});

describe('the recent days', () => {
  const today = '2026-03-10';
  it('have one state each', () => {
    expect(dayState(day('2026-03-09', { signedIn: true, madeUp: true }), today, null)).toBe('made-up');
    expect(dayState(day('2026-03-09', { signedIn: true }), today, null)).toBe('signed');
    expect(dayState(day('2026-03-09', { frozen: true }), today, null)).toBe('frozen');
    expect(dayState(day(today), today, null)).toBe('pending');
    expect(dayState(day('2026-03-11'), today, null)).toBe('none');
    expect(dayState(day('2026-03-01'), today, '2026-03-05')).toBe('none');
    expect(dayState(day('2026-03-06'), today, '2026-03-05')).toBe('missed');
  });
  it('are told in words, with the cycle day of a sign-in', () => {
    expect(dayWords(day('2026-03-09', { signedIn: true, cycleDay: 4 }), today, null))
      .toEqual({ state: 'signed', mark: '✓', text: 'Monday, March 9, 2026: signed in (cycle day 4)' });
    expect(dayWords(day('2026-03-08', { signedIn: true, madeUp: true, cycleDay: 3 }), today, null).text)
      .toBe('Sunday, March 8, 2026: made up (cycle day 3)');
    expect(dayWords(day('2026-03-07', { frozen: true }), today, null))
      .toEqual({ state: 'frozen', mark: '❄', text: 'Saturday, March 7, 2026: covered by a streak freeze' });
    expect(dayWords(day('2026-03-06'), today, null).mark).toBe('✗');
  });
  it('leave out whole weeks from before the registration', () => {
    const days = Array.from({ length: 14 }, (_, i) => day(`2026-03-${String(i + 1).padStart(2, '0')}`));
    const after = (registeredOn: string) => shownHistory(days, '2026-03-14', registeredOn).map((d) => d.date);
    expect(after('2026-03-09')).toHaveLength(7);
    expect(after('2026-03-09')[0]).toBe('2026-03-08');
    expect(after('2026-03-07')).toHaveLength(14);
    expect(shownHistory(days, '2026-03-14', null)).toHaveLength(14);
  });
});

describe('the cycle strip', () => {
  const today = '2026-03-10';
  const cd = (day: number, date: string, signedIn: boolean) => ({ day, date, reward: day * 10, signedIn });
  it('marks done, made-up, today, to come and missed days', () => {
    const madeUp = new Set(['2026-03-09']);
    expect(cycleDayView(cd(1, '2026-03-08', true), today, madeUp)).toMatchObject({ label: 'Done', mark: '✓', earned: 10, classes: ['done'] });
    const m = cycleDayView(cd(2, '2026-03-09', true), today, madeUp);
    expect(m).toMatchObject({ label: 'Made up', mark: '↺', earned: 0, classes: ['done', 'made-up'] });
    expect(m.title).toBe('Day 2 · Monday, March 9, 2026 · 0 points · Made up');
    expect(cycleDayView(cd(3, today, false), today, madeUp)).toMatchObject({ label: 'Today', classes: ['today'], today: true });
    expect(cycleDayView(cd(3, today, true), today, madeUp)).toMatchObject({ label: 'Done', classes: ['done', 'today'] });
    expect(cycleDayView(cd(4, '2026-03-11', false), today, madeUp)).toMatchObject({ label: 'To come', mark: 'To come', classes: ['upcoming'] });
    expect(cycleDayView(cd(1, '2026-03-07', false), today, madeUp)).toMatchObject({ label: 'Missed', classes: ['missed'] });
  });
});

describe('the wallet', () => {
  const tx = (id: string, createdAt: string, amount = 10): Tx => ({
    id, amount, kind: 'SIGN_IN_REWARD', balanceAfter: 0, note: null, createdAt,
  });
  it('keeps one entry per transaction, newest first, at most the limit', () => {
    const current = [tx('2', '2026-03-10T10:00:00Z'), tx('1', '2026-03-09T10:00:00Z')];
    const merged = mergeTxs(current, [tx('3', '2026-03-10T11:00:00Z'), tx('2', '2026-03-10T10:00:00Z', 99)]);
    expect(merged.map((t) => t.id)).toEqual(['3', '2', '1']);
    expect(merged[1]?.amount).toBe(99);
    expect(mergeTxs(merged, [], 2).map((t) => t.id)).toEqual(['3', '2']);
  });
  it('writes amounts with their sign', () => {
    expect(amountText(20)).toBe('+20');
    expect(amountText(-50)).toBe('−50');
    expect(amountText(0)).toBe('+0');
  });
});
