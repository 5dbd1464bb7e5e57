// Drawing the check-in page from `state`: the messages, today's strip and
// button, when the day ends and the time zone (timezone.ts), streak
// protection, the recent days, the wallet, the live badge.
import { cycleDayView } from './cycle';
import { dateTime, longDate, shortDate } from './dates';
import { dom } from './dom';
import { make, renderHistory, renderMilestone, renderProtection } from './protection';
import { state } from './state';
import { renderZone } from './timezone';
import { KIND_LABELS, amountText } from './wallet';

// ---------------------------------------------------------------- messages

export function showError(text: string): void {
  dom.error.textContent = text;
  dom.error.hidden = !text;
  if (text) dom.notice.hidden = true;
}

export function showNotice(text: string): void {
  dom.notice.textContent = text;
  dom.notice.hidden = !text;
}

export function clearMessages(): void {
  showError('');
  showNotice('');
}

// ---------------------------------------------------------------- today, protection, recent days

export function renderStatus(): void {
  const s = state.status;
  if (!s) {
    dom.streak.textContent = '–';
    dom.cycleDay.textContent = '–';
    dom.todayReward.textContent = '–';
    dom.cycle.replaceChildren();
    dom.todayLabel.textContent = '';
    dom.signin.disabled = true;
    dom.signin.textContent = 'Sign in';
    renderMilestone(dom.nextMilestone, null);
    renderProtection(dom, null, state);
    renderZone();
    return;
  }
  dom.streak.textContent = `${s.streak} ${s.streak === 1 ? 'day' : 'days'}`;
  dom.cycleDay.textContent = `${s.cycleDay} / 7`;
  dom.todayReward.textContent = `+${s.todayReward}`;
  dom.todayLabel.textContent = `Today is ${longDate(s.today)}`;

  const madeUp = new Set(state.history.filter((h) => h.madeUp).map((h) => h.date));
  const items = [...s.cycle].sort((a, b) => a.day - b.day).map((d) => {
    const view = cycleDayView(d, s.today, madeUp);
    const li = make('li', 'cycle-day');
    li.dataset.day = String(d.day);
    li.dataset.date = d.date;
    li.dataset.reward = String(d.reward);
    li.dataset.testid = `cycle-day-${d.day}`;
    li.classList.add(...view.classes);
    if (view.today) li.setAttribute('aria-current', 'date');
    li.title = view.title;
    li.setAttribute('aria-label', li.title);
    li.append(
      make('span', 'cd-day', `Day ${d.day}`),
      make('span', 'cd-reward', `+${view.earned}`),
      make('span', 'cd-state', view.mark),
      make('span', 'cd-date', shortDate(d.date)),
    );
    return li;
  });
  dom.cycle.replaceChildren(...items);

  if (s.signedInToday) {
    dom.signin.disabled = true;
    dom.signin.textContent = 'Signed in today';
    dom.signin.classList.add('signed');
  } else {
    dom.signin.disabled = state.signingIn;
    dom.signin.textContent = state.signingIn ? 'Signing in…' : `Sign in (+${s.todayReward})`;
    dom.signin.classList.remove('signed');
  }
  renderMilestone(dom.nextMilestone, s.nextMilestone);
  renderProtection(dom, s, state);
  renderHistory(dom.history, state.history, s.today, state.registeredOn);
  renderZone();
}

// ---------------------------------------------------------------- wallet

export function renderWallet(): void {
  dom.balance.textContent = state.balance === null ? '–' : String(state.balance);
  const items = state.txs.map((tx) => {
    const li = make('li', 'tx');
    li.dataset.id = tx.id;
    li.dataset.kind = tx.kind;
    const main = make('div', 'tx-main');
    main.append(
      make('span', 'tx-kind', KIND_LABELS[tx.kind] ?? tx.kind),
      make('span', `tx-amount ${tx.amount >= 0 ? 'plus' : 'minus'}`, amountText(tx.amount)),
    );
    const meta = make('div', 'tx-meta');
    meta.append(
      make('span', 'tx-date', dateTime(tx.createdAt)),
      make('span', 'tx-after', `balance ${tx.balanceAfter}`),
    );
    li.append(main);
    if (tx.note) li.append(make('div', 'tx-note', tx.note));
    li.append(meta);
    return li;
  });
  dom.transactions.replaceChildren(...items);
  dom.txEmpty.hidden = state.txs.length > 0 || state.balance === null;
}

// ---------------------------------------------------------------- the frame

export function setLive(text: string, ok: boolean): void {
  dom.live.textContent = text;
  dom.live.classList.toggle('on', ok);
}

export function showView(): void {
  const loggedIn = state.session !== null;
  // While the page load asks the refresh cookie, neither the form nor the dashboard shows.
  dom.auth.hidden = loggedIn || state.resuming;
  dom.dashboard.hidden = !loggedIn;
  dom.who.hidden = !loggedIn;
  dom.whoName.textContent = state.session?.username ?? '';
}
