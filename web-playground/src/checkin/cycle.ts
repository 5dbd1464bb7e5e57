// One day of the 7-day cycle strip as the page shows it (pure: no DOM).
import { longDate } from './dates';
import type { SignInStatus } from './state';

export type CycleDay = SignInStatus['cycle'][number];

export interface CycleDayView {
  /** Classes besides `cycle-day`. */
  classes: string[];
  /** Done, Made up, Today, To come or Missed. */
  label: string;
  /** The points it earns: a made-up date earns nothing, whatever the schedule said. */
  earned: number;
  /** ✓, ↺, or the label. */
  mark: string;
  /** Title and aria-label. */
  title: string;
  today: boolean;
}

export function cycleDayView(d: CycleDay, today: string, madeUp: ReadonlySet<string>): CycleDayView {
  const classes: string[] = [];
  let label: string;
  if (d.signedIn && madeUp.has(d.date)) {
    classes.push('done', 'made-up');
    label = 'Made up';
  } else if (d.signedIn) {
    classes.push('done');
    label = 'Done';
  } else if (d.date === today) {
    label = 'Today';
  } else if (d.date > today) {
    classes.push('upcoming');
    label = 'To come';
  } else {
    classes.push('missed');
    label = 'Missed';
  }
  const isToday = d.date === today;
  if (isToday) classes.push('today');
  const earned = label === 'Made up' ? 0 : d.reward;
  return {
    classes,
    label,
    earned,
    mark: label === 'Made up' ? '↺' : d.signedIn ? '✓' : label,
    title: `Day ${d.day} · ${longDate(d.date)} · ${earned} points · ${label}`,
    today: isToday,
  };
}
