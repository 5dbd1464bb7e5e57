// Date ranges on the admin page (the chart, the exports, the users grid): the
// default range, and the checks the API would make, done here first so that a
// range it would refuse is explained on the page and never sent. Pure.
import { addDays } from '../checkin/dates';

/** Days shown when the page opens, ending today. */
export const DEFAULT_RANGE_DAYS = 30;
/** The longest range `signInStats`, `signInHistory` and the exports accept (inclusive). */
export const MAX_RANGE_DAYS = 366;

export interface Range { from: string; to: string }

/** The `DEFAULT_RANGE_DAYS` days ending `today`. */
export function defaultRange(today: string): Range {
  return { from: addDays(today, -(DEFAULT_RANGE_DAYS - 1)), to: today };
}

/** The range, or the sentence that says why it cannot be sent. */
export function checkRange(from: string, to: string): { range: Range } | { error: string } {
  if (!from || !to) return { error: 'Choose both a start and an end date.' };
  if (from > to) return { error: 'The start date must not be after the end date.' };
  if (addDays(from, MAX_RANGE_DAYS - 1) < to) {
    return { error: `The range may span at most ${MAX_RANGE_DAYS} days. Choose a later start or an earlier end.` };
  }
  return { range: { from, to } };
}

/** Every date of the range, oldest first (inclusive). */
export function rangeDates({ from, to }: Range): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length <= MAX_RANGE_DAYS; d = addDays(d, 1)) out.push(d);
  return out;
}
