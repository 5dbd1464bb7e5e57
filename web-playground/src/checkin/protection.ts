// Streak protection on the check-in page: the freezes held and the button to
// buy one, the missed dates that can still be made up, the next milestone, and
// the recent days (signed, made up, frozen, missed). Rendering only: the
// mutations live in main.ts.
import { dayOfMonth, longDate, mediumDate, weekday } from './dates';
import type { HistoryDay, Milestone, SignInStatus } from './types';

/** How many days the "Recent days" grid shows (two rows of seven). */
export const HISTORY_DAYS = 14;

export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K, className?: string, text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function points(n: number): string {
  return `${n} ${n === 1 ? 'point' : 'points'}`;
}

export function milestoneText(m: Milestone | null | undefined): string {
  return m ? `Next milestone: ${m.streak}-day streak, +${m.bonus} points` : '';
}

export function renderMilestone(node: HTMLElement, m: Milestone | null | undefined): void {
  node.textContent = milestoneText(m);
  node.hidden = !m;
}

export interface ProtectionDom {
  freezes: HTMLElement;
  freezeHint: HTMLElement;
  buyFreeze: HTMLButtonElement;
  makeUpList: HTMLElement;
  makeUpEmpty: HTMLElement;
  makeUpsLeft: HTMLElement;
}

/** What is in flight, so its button shows it and cannot be clicked twice. */
export interface Busy {
  buyingFreeze: boolean;
  makingUp: string | null;
}

export function renderProtection(dom: ProtectionDom, s: SignInStatus | null, busy: Busy): void {
  if (!s) {
    dom.freezes.textContent = 'Streak freezes: –';
    dom.buyFreeze.disabled = true;
    dom.buyFreeze.textContent = 'Buy a freeze';
    dom.makeUpList.replaceChildren();
    dom.makeUpEmpty.hidden = true;
    dom.makeUpsLeft.textContent = '';
    return;
  }
  const atMax = s.freezesHeld >= s.maxFreezes;
  dom.freezes.textContent = `Streak freezes: ${s.freezesHeld} of ${s.maxFreezes}`;
  dom.freezes.dataset.held = String(s.freezesHeld);
  dom.buyFreeze.disabled = atMax || busy.buyingFreeze;
  dom.buyFreeze.textContent = busy.buyingFreeze ? 'Buying…' : `Buy a freeze (${points(s.freezeCost)})`;
  dom.freezeHint.textContent = atMax
    ? `You hold the most freezes allowed. Each one covers a missed day by itself when you next sign in.`
    : 'A freeze covers a missed day by itself when you next sign in.';

  const noneLeft = s.makeUpsLeft <= 0;
  const items = s.makeUpDates.map((date) => {
    const li = make('li', 'makeup');
    li.dataset.date = date;
    const label = make('span', 'makeup-date', mediumDate(date));
    label.title = longDate(date);
    const button = make('button', 'makeup-button',
      busy.makingUp === date ? 'Making up…' : `Make up (${points(s.makeUpCost)})`);
    button.type = 'button';
    button.dataset.date = date;
    button.dataset.testid = 'make-up';
    button.setAttribute('aria-label', `Make up ${longDate(date)} for ${points(s.makeUpCost)}`);
    button.disabled = noneLeft || busy.makingUp !== null;
    li.append(label, button);
    return li;
  });
  dom.makeUpList.replaceChildren(...items);
  dom.makeUpEmpty.hidden = items.length > 0;
  dom.makeUpsLeft.textContent = noneLeft
    ? 'No make-ups left this month.'
    : `Make-ups left this month: ${s.makeUpsLeft}. Each costs ${points(s.makeUpCost)} and earns no reward, but keeps your streak.`;
}

/** The state one history date is shown in. */
export function dayState(d: HistoryDay, today: string, registeredOn: string | null): string {
  if (d.madeUp) return 'made-up';
  if (d.signedIn) return 'signed';
  if (d.frozen) return 'frozen';
  if (d.date === today) return 'pending';
  if (d.date > today || (registeredOn !== null && d.date < registeredOn)) return 'none';
  return 'missed';
}

const STATE_MARKS: Record<string, [string, string]> = {
  signed: ['✓', 'signed in'],
  'made-up': ['↺', 'made up'],
  frozen: ['❄', 'covered by a streak freeze'],
  missed: ['✗', 'missed'],
  pending: ['•', 'not signed in yet'],
  none: ['', 'before you registered'],
};

/**
 * The recent days, oldest first. `registeredOn` is the UTC date of the
 * account's creation: dates before it are shown as blank, not as missed.
 */
export function renderHistory(
  list: HTMLElement, days: HistoryDay[], today: string, registeredOn: string | null,
): void {
  // Whole weeks from before the registration say nothing: leave them out,
  // keeping rows of seven that end today.
  let shown = days;
  while (shown.length > 7 && shown.slice(0, 7).every((d) => dayState(d, today, registeredOn) === 'none')) {
    shown = shown.slice(7);
  }
  const items = shown.map((d) => {
    const st = dayState(d, today, registeredOn);
    const [mark, words] = STATE_MARKS[st] ?? ['', st];
    const li = make('li', `hday ${st}`);
    li.dataset.date = d.date;
    li.dataset.state = st;
    if (d.date === today) {
      li.classList.add('today');
      li.setAttribute('aria-current', 'date');
    }
    const detail = (d.signedIn || d.madeUp) && d.cycleDay !== null ? ` (cycle day ${d.cycleDay})` : '';
    const text = `${longDate(d.date)}: ${words}${detail}`;
    li.setAttribute('aria-label', text);
    li.title = text;
    const wd = make('span', 'hd-wd', weekday(d.date));
    const num = make('span', 'hd-num', dayOfMonth(d.date));
    const m = make('span', 'hd-mark', mark);
    wd.setAttribute('aria-hidden', 'true');
    num.setAttribute('aria-hidden', 'true');
    m.setAttribute('aria-hidden', 'true');
    li.append(wd, num, m);
    return li;
  });
  list.replaceChildren(...items);
}
