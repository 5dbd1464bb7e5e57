// The numbers the sign-ins chart and its totals show, from `signInStats`
// (pure: chart.ts draws them with Chart.js).
import type { DailyStatsFieldsFragment } from '../generated/graphql';

export type DailyStats = DailyStatsFieldsFragment;

export interface ChartSeries {
  /** `MM-DD` per day, oldest first. */
  labels: string[];
  /** Seven series: people who signed in at cycle day 1..7, per day. */
  byCycleDay: number[][];
  rewards: number[];
  bonuses: number[];
  /** People who signed in over the whole range. */
  signedIn: number;
}

export function chartSeries(days: DailyStats[]): ChartSeries {
  return {
    labels: days.map((d) => d.date.slice(5)),
    byCycleDay: Array.from({ length: 7 }, (_, i) => days.map((d) => d.byCycleDay[i] ?? 0)),
    rewards: days.map((d) => d.rewardTotal),
    bonuses: days.map((d) => d.milestoneBonusTotal),
    signedIn: days.reduce((acc, d) => acc + d.signedIn, 0),
  };
}

/** The range's totals: label, value and the test id of each. */
export function rangeTotals(days: DailyStats[]): [string, number, string][] {
  const sum = (f: (d: DailyStats) => number) => days.reduce((acc, d) => acc + f(d), 0);
  return [
    ['Sign-ins', sum((d) => d.signedIn), 'signed-in'],
    ['Rewards paid', sum((d) => d.rewardTotal), 'rewards'],
    ['Milestone bonuses', sum((d) => d.milestoneBonusTotal), 'bonuses'],
    ['Make-ups', sum((d) => d.makeUps), 'make-ups'],
    ['Days frozen', sum((d) => d.frozen), 'frozen'],
  ];
}

/** The tooltip's footer for one day. */
export function dayFooter(d: DailyStats | undefined): string {
  return d ? `${d.signedIn} signed in · ${d.makeUps} made up · ${d.frozen} frozen` : '';
}
