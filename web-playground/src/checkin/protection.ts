// Streak protection on the check-in page: the freezes held and the button to
// buy one, the missed dates that can still be made up, the next milestone, and
// the recent days (signed, made up, frozen, missed). What to offer is worked
// out by pure functions (freezeOffer, makeUpOffers, dayState, shownHistory);
// the render functions put it on the page. The mutations live in actions.ts.
import { dayOfMonth, longDate, mediumDate, weekday } from './dates';
import type { HistoryDay, Milestone, SignInStatus } from './state';

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

/** The freeze line and its button, for status `s`. */
export interface FreezeOffer {
  text: string;
  held: number;
  button: string;
  disabled: boolean;
  hint: string;
}

export function freezeOffer(s: SignInStatus, busy: Busy): FreezeOffer {
  const atMax = s.freezesHeld >= s.maxFreezes;
  return {
    text: `Streak freezes: ${s.freezesHeld} of ${s.maxFreezes}`,
    held: s.freezesHeld,
    disabled: atMax || busy.buyingFreeze,
    button: busy.buyingFreeze ? 'Buying…' : `Buy a freeze (${points(s.freezeCost)})`,
    hint: atMax
      ? `You hold the most freezes allowed. Each one covers a missed day by itself when you next sign in.`
      : 'A freeze covers a missed day by itself when you next sign in.',
  };
}

/** One missed date offered for a make-up. */
export interface MakeUpOffer {
  date: string;
  label: string;
  title: string;
  button: string;
  ariaLabel: string;
  disabled: boolean;
}

/** The make-up rows (oldest first, as the API lists them) and the line under them. */
export function makeUpOffers(s: SignInStatus, busy: Busy): { offers: MakeUpOffer[]; left: string } {
  const noneLeft = s.makeUpsLeft <= 0;
  const offers = s.makeUpDates.map((date) => ({
    date,
    label: mediumDate(date),
    title: longDate(date),
    button: busy.makingUp === date ? 'Making up…' : `Make up (${points(s.makeUpCost)})`,
    ariaLabel: `Make up ${longDate(date)} for ${points(s.makeUpCost)}`,
    disabled: noneLeft || busy.makingUp !== null,
  }));
  const left = noneLeft
    ? 'No make-ups left this month.'
    : `Make-ups left this month: ${s.makeUpsLeft}. Each costs ${points(s.makeUpCost)} and earns no reward, but keeps your streak.`;
  return { offers, left };
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
  const freeze = freezeOffer(s, busy);
  dom.freezes.textContent = freeze.text;
  dom.freezes.dataset.held = String(freeze.held);
  dom.buyFreeze.disabled = freeze.disabled;
  dom.buyFreeze.textContent = freeze.button;
  dom.freezeHint.textContent = freeze.hint;

  const { offers, left } = makeUpOffers(s, busy);
  const items = offers.map((o) => {
    const li = make('li', 'makeup');
    li.dataset.date = o.date;
    const label = make('span', 'makeup-date', o.label);
    label.title = o.title;
    const button = make('button', 'makeup-button', o.button);
    button.type = 'button';
    button.dataset.date = o.date;
    button.dataset.testid = 'make-up';
    button.setAttribute('aria-label', o.ariaLabel);
    button.disabled = o.disabled;
    li.append(label, button);
    return li;
  });
  dom.makeUpList.replaceChildren(...items);
  dom.makeUpEmpty.hidden = items.length > 0;
  dom.makeUpsLeft.textContent = left;
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
 * The days worth showing: whole weeks from before the registration say
 * nothing, so they are left out, keeping rows of seven that end today.
 */
export function shownHistory(days: HistoryDay[], today: string, registeredOn: string | null): HistoryDay[] {
  let shown = days;
  while (shown.length > 7 && shown.slice(0, 7).every((d) => dayState(d, today, registeredOn) === 'none')) {
    shown = shown.slice(7);
  }
  return shown;
}

/** The words for a history date's state (`dayState`), with its cycle day where it has one. */
export function dayWords(d: HistoryDay, today: string, registeredOn: string | null): { state: string; mark: string; text: string } {
  const st = dayState(d, today, registeredOn);
  const [mark, words] = STATE_MARKS[st] ?? ['', st];
  const detail = (d.signedIn || d.madeUp) && d.cycleDay !== null ? ` (cycle day ${d.cycleDay})` : '';
  return { state: st, mark, text: `${longDate(d.date)}: ${words}${detail}` };
}

/**
 * The recent days, oldest first. `registeredOn` is the date of the account's
 * creation in the user's time zone: dates before it are shown as blank, not as missed.
 */
export function renderHistory(
  list: HTMLElement, days: HistoryDay[], today: string, registeredOn: string | null,
): void {
  const items = shownHistory(days, today, registeredOn).map((d) => {
    const { state: st, mark, text } = dayWords(d, today, registeredOn);
    const li = make('li', `hday ${st}`);
    li.dataset.date = d.date;
    li.dataset.state = st;
    if (d.date === today) {
      li.classList.add('today');
      li.setAttribute('aria-current', 'date');
    }
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
