// The check-in page: log in or register, see the 7-day cycle, sign in once a day,
// protect the streak (make up a missed day, buy a freeze), and watch the wallet
// and the streak change live (graphql-ws subscriptions).
import '../common/base.css';
import './style.css';
import type { Client } from 'graphql-ws';
import { createLiveClient, gql, newIdempotencyKey, toApiError } from './api';
import { addDays, dateTime, longDate, mediumDate, shortDate } from './dates';
import { humanMessage, type Action, type Context } from './messages';
import {
  HISTORY_DAYS, make, renderHistory, renderMilestone, renderProtection,
} from './protection';
import type { HistoryDay, SignInRecord, SignInStatus, Tx } from './types';
import { authElements, authenticate as logIn, el } from '../common/login';
import { STORAGE_KEY, loadSession, saveSession, type Session } from '../common/session';

// ---------------------------------------------------------------- GraphQL documents

const STATUS_FIELDS = `today signedInToday streak cycleDay todayReward
  freezesHeld makeUpDates makeUpsLeft nextMilestone { streak bonus } makeUpCost freezeCost maxFreezes
  cycle { day date reward signedIn }`;
const RECORD_FIELDS = 'date cycleDay streak reward rewardCredited madeUp milestoneBonus';
const TX_FIELDS = 'id amount kind balanceAfter note createdAt';

const ME = `query Me {
  me {
    username
    createdAt
    signInStatus { ${STATUS_FIELDS} }
    wallet { balance transactions(first: 10) { edges { node { ${TX_FIELDS} } } } }
  }
}`;
const SIGN_IN = `mutation SignIn {
  signIn {
    record { ${RECORD_FIELDS} }
    status { ${STATUS_FIELDS} }
  }
}`;
const HISTORY = `query History($from: Date!, $to: Date!) {
  me { signInHistory(from: $from, to: $to) { date signedIn cycleDay streak reward madeUp frozen } }
}`;
const MAKE_UP = `mutation MakeUp($date: Date!, $key: String!) {
  makeUpSignIn(date: $date, idempotencyKey: $key) {
    record { ${RECORD_FIELDS} }
    status { ${STATUS_FIELDS} }
  }
}`;
const BUY_FREEZE = `mutation BuyFreeze($key: String!) {
  buyStreakFreeze(idempotencyKey: $key) {
    transaction { ${TX_FIELDS} }
    status { ${STATUS_FIELDS} }
  }
}`;
const WALLET_UPDATED = `subscription WalletUpdated { walletUpdated { ${TX_FIELDS} } }`;
const STREAK_UPDATED = `subscription StreakUpdated { streakUpdated { ${STATUS_FIELDS} } }`;

// ---------------------------------------------------------------- types

interface MeData {
  me: {
    username: string;
    createdAt: string;
    signInStatus: SignInStatus;
    wallet: { balance: number; transactions: { edges: { node: Tx }[] } };
  };
}
interface SignInData { signIn: { record: SignInRecord; status: SignInStatus } }
interface MakeUpData { makeUpSignIn: { record: SignInRecord; status: SignInStatus } }
interface BuyFreezeData { buyStreakFreeze: { transaction: Tx; status: SignInStatus } }
interface HistoryData { me: { signInHistory: HistoryDay[] } }

// ---------------------------------------------------------------- DOM

const dom = {
  ...authElements(),
  notice: el('notice'),
  register: el<HTMLButtonElement>('register'),
  dashboard: el('dashboard'),
  streak: el('streak'),
  cycleDay: el('cycle-day'),
  todayReward: el('today-reward'),
  cycle: el('cycle'),
  signin: el<HTMLButtonElement>('signin'),
  todayLabel: el('today-label'),
  nextMilestone: el('next-milestone'),
  freezes: el('freezes'),
  freezeHint: el('freeze-hint'),
  buyFreeze: el<HTMLButtonElement>('buy-freeze'),
  makeUpList: el('makeup-list'),
  makeUpEmpty: el('makeup-empty'),
  makeUpsLeft: el('makeups-left'),
  history: el('history'),
  balance: el('balance'),
  transactions: el('transactions'),
  txEmpty: el('tx-empty'),
  live: el('live'),
};

// ---------------------------------------------------------------- state

const MAX_TX = 20;

const state = {
  session: null as Session | null,
  status: null as SignInStatus | null,
  balance: null as number | null,
  txs: [] as Tx[],
  signingIn: false,
  buyingFreeze: false,
  makingUp: null as string | null,
  /** Recent days (oldest first) and the UTC date the account was created on. */
  history: [] as HistoryDay[],
  registeredOn: null as string | null,
  historySeq: 0,
  // Bumped by every live event, so that an older `me` answer does not undo it.
  walletSeq: 0,
  statusSeq: 0,
  live: null as Client | null,
  unsubscribers: [] as (() => void)[],
  timers: [] as number[],
};

// ---------------------------------------------------------------- messages

function showError(text: string): void {
  dom.error.textContent = text;
  dom.error.hidden = !text;
  if (text) dom.notice.hidden = true;
}

function showNotice(text: string): void {
  dom.notice.textContent = text;
  dom.notice.hidden = !text;
}

function clearMessages(): void {
  showError('');
  showNotice('');
}

/** Shows an API error; logs out when the token is no longer accepted. */
function handleError(err: unknown, action: Action = 'load', ctx: Context = {}): void {
  const e = toApiError(err);
  if (e.code === 'UNAUTHENTICATED' && state.session) {
    logout();
  }
  showError(humanMessage(e, action, ctx));
}

// ---------------------------------------------------------------- rendering

const KIND_LABELS: Record<string, string> = {
  SIGN_IN_REWARD: 'Sign-in reward',
  SPEND: 'Spend',
  ADJUSTMENT: 'Adjustment',
  MAKE_UP_FEE: 'Make-up sign-in',
  STREAK_FREEZE: 'Streak freeze',
  MILESTONE_BONUS: 'Milestone bonus',
};

function renderStatus(): void {
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
    return;
  }
  dom.streak.textContent = `${s.streak} ${s.streak === 1 ? 'day' : 'days'}`;
  dom.cycleDay.textContent = `${s.cycleDay} / 7`;
  dom.todayReward.textContent = `+${s.todayReward}`;
  dom.todayLabel.textContent = `Today is ${longDate(s.today)}`;

  const madeUp = new Set(state.history.filter((h) => h.madeUp).map((h) => h.date));
  const items = [...s.cycle].sort((a, b) => a.day - b.day).map((d) => {
    const li = make('li', 'cycle-day');
    li.dataset.day = String(d.day);
    li.dataset.date = d.date;
    li.dataset.reward = String(d.reward);
    li.dataset.testid = `cycle-day-${d.day}`;
    let label: string;
    if (d.signedIn && madeUp.has(d.date)) {
      li.classList.add('done', 'made-up');
      label = 'Made up';
    } else if (d.signedIn) {
      li.classList.add('done');
      label = 'Done';
    } else if (d.date === s.today) {
      label = 'Today';
    } else if (d.date > s.today) {
      li.classList.add('upcoming');
      label = 'To come';
    } else {
      li.classList.add('missed');
      label = 'Missed';
    }
    if (d.date === s.today) {
      li.classList.add('today');
      li.setAttribute('aria-current', 'date');
    }
    // A made-up date earns nothing, whatever the schedule said for it.
    const earned = label === 'Made up' ? 0 : d.reward;
    li.title = `Day ${d.day} · ${longDate(d.date)} · ${earned} points · ${label}`;
    li.setAttribute('aria-label', li.title);
    li.append(
      make('span', 'cd-day', `Day ${d.day}`),
      make('span', 'cd-reward', `+${earned}`),
      make('span', 'cd-state', label === 'Made up' ? '↺' : d.signedIn ? '✓' : label),
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
}

function renderWallet(): void {
  dom.balance.textContent = state.balance === null ? '–' : String(state.balance);
  const items = state.txs.map((tx) => {
    const li = make('li', 'tx');
    li.dataset.id = tx.id;
    li.dataset.kind = tx.kind;
    const main = make('div', 'tx-main');
    main.append(
      make('span', 'tx-kind', KIND_LABELS[tx.kind] ?? tx.kind),
      make('span', `tx-amount ${tx.amount >= 0 ? 'plus' : 'minus'}`,
        `${tx.amount >= 0 ? '+' : '−'}${Math.abs(tx.amount)}`),
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

function setLive(text: string, ok: boolean): void {
  dom.live.textContent = text;
  dom.live.classList.toggle('on', ok);
}

function showView(): void {
  const loggedIn = state.session !== null;
  dom.auth.hidden = loggedIn;
  dom.dashboard.hidden = !loggedIn;
  dom.who.hidden = !loggedIn;
  dom.whoName.textContent = state.session?.username ?? '';
}

// ---------------------------------------------------------------- data

function mergeTxs(incoming: Tx[]): void {
  const byId = new Map<string, Tx>();
  for (const tx of [...incoming, ...state.txs]) if (!byId.has(tx.id)) byId.set(tx.id, tx);
  const all = [...byId.values()];
  const t = (tx: Tx) => {
    const v = Date.parse(tx.createdAt);
    return Number.isFinite(v) ? v : 0;
  };
  // Newest first; Array.prototype.sort is stable, so ties keep the incoming order.
  all.sort((a, b) => t(b) - t(a));
  state.txs = all.slice(0, MAX_TX);
}

async function refresh(): Promise<void> {
  const session = state.session;
  if (!session) return;
  const walletSeq = state.walletSeq;
  const statusSeq = state.statusSeq;
  try {
    const data = await gql<MeData>(ME, undefined, session.token);
    if (state.session !== session) return; // logged out meanwhile
    const me = data.me;
    if (me.username !== session.username) {
      session.username = me.username;
      saveSession(session);
      showView();
    }
    state.registeredOn = utcDate(me.createdAt);
    if (state.statusSeq === statusSeq || !state.status) state.status = me.signInStatus;
    if (state.walletSeq === walletSeq || state.balance === null) state.balance = me.wallet.balance;
    mergeTxs(me.wallet.transactions.edges.map((e) => e.node));
    renderStatus();
    renderWallet();
  } catch (err) {
    if (state.session === session) handleError(err);
    return;
  }
  await loadHistory();
}

/** The UTC calendar date of an instant (the account's creation), or null. */
function utcDate(instant: string): string | null {
  const t = Date.parse(instant);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : null;
}

/**
 * Re-reads the recent days, up to the server's today (its clock, not the
 * browser's). Only the answer to the latest call is applied.
 */
async function loadHistory(): Promise<void> {
  const session = state.session;
  const today = state.status?.today;
  if (!session || !today) return;
  state.historySeq += 1;
  const seq = state.historySeq;
  try {
    const data = await gql<HistoryData>(
      HISTORY, { from: addDays(today, -(HISTORY_DAYS - 1)), to: today }, session.token,
    );
    if (state.session !== session || state.historySeq !== seq) return;
    state.history = data.me.signInHistory;
    renderStatus();
  } catch (err) {
    if (state.session === session && state.historySeq === seq) handleError(err);
  }
}

function later(fn: () => void, ms: number): void {
  state.timers.push(window.setTimeout(fn, ms));
}

// ---------------------------------------------------------------- live updates

function startLive(): void {
  const session = state.session;
  if (!session || state.live) return;
  const client = createLiveClient(session.token, {
    onConnected: (reconnected) => {
      setLive('live', true);
      // Events may have been missed while the socket was down.
      if (reconnected) void refresh();
    },
    onClosed: () => {
      if (state.live === client) setLive('reconnecting…', false);
    },
  });
  state.live = client;
  setLive('connecting…', false);

  const onSubError = (err: unknown) => {
    if (state.live !== client) return;
    const e = toApiError(err);
    if (e.code === 'UNAUTHENTICATED') {
      handleError(e);
      return;
    }
    // The socket gave up (or the server refused the subscription): check the
    // token with a plain query (logs out on UNAUTHENTICATED), then try again.
    setLive('offline', false);
    stopLive();
    void refresh();
    later(() => {
      if (state.session === session) startLive();
    }, 5000);
  };

  state.unsubscribers.push(
    client.subscribe<{ walletUpdated: Tx }>({ query: WALLET_UPDATED }, {
      next: (msg) => {
        if (msg.errors?.length) return onSubError(msg.errors);
        const tx = msg.data?.walletUpdated;
        if (!tx) return;
        state.walletSeq += 1;
        state.balance = tx.balanceAfter;
        mergeTxs([tx]);
        renderWallet();
        if (tx.kind === 'SIGN_IN_REWARD' && tx.amount > 0) {
          showNotice(`+${tx.amount} points credited to your wallet`);
        } else if (tx.kind === 'MILESTONE_BONUS' && tx.amount > 0) {
          showNotice(`Milestone reached! +${tx.amount} bonus points credited to your wallet`);
        }
      },
      error: onSubError,
      complete: () => {},
    }),
    client.subscribe<{ streakUpdated: SignInStatus }>({ query: STREAK_UPDATED }, {
      next: (msg) => {
        if (msg.errors?.length) return onSubError(msg.errors);
        const status = msg.data?.streakUpdated;
        if (!status) return;
        state.statusSeq += 1;
        state.status = status;
        renderStatus();
        // A sign-in, a make-up or a used freeze changes the recent days too.
        void loadHistory();
      },
      error: onSubError,
      complete: () => {},
    }),
  );
}

function stopLive(): void {
  const subs = state.unsubscribers;
  state.unsubscribers = [];
  for (const unsubscribe of subs) {
    try { unsubscribe(); } catch { /* already closed */ }
  }
  const client = state.live;
  state.live = null;
  if (client) void client.dispose();
}

// ---------------------------------------------------------------- actions

function startSession(session: Session): void {
  state.session = session;
  state.status = null;
  state.balance = null;
  state.txs = [];
  state.history = [];
  state.registeredOn = null;
  saveSession(session);
  showView();
  renderStatus();
  renderWallet();
  startLive();
  void refresh();
}

function logout(): void {
  stopLive();
  for (const t of state.timers) window.clearTimeout(t);
  state.timers = [];
  state.session = null;
  state.status = null;
  state.balance = null;
  state.txs = [];
  state.history = [];
  state.registeredOn = null;
  state.signingIn = false;
  state.buyingFreeze = false;
  state.makingUp = null;
  saveSession(null);
  setLive('offline', false);
  showView();
  renderStatus();
  renderWallet();
  dom.password.value = '';
  dom.username.focus();
}

const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;

async function authenticate(mode: 'login' | 'register'): Promise<void> {
  clearMessages();
  const username = dom.username.value.trim();
  const password = dom.password.value;
  if (!username || !password) {
    showError('Enter a username and a password');
    return;
  }
  if (mode === 'register') {
    if (!USERNAME_RE.test(username)) {
      showError('Username: 3 to 32 characters, letters, digits, _ . or -');
      return;
    }
    if (password.length < 8 || password.length > 128) {
      showError('Password: 8 to 128 characters');
      return;
    }
  }
  dom.login.disabled = true;
  dom.register.disabled = true;
  try {
    const { session, user } = await logIn(mode, username, password);
    dom.password.value = '';
    startSession(session);
    if (mode === 'register') showNotice(`Welcome, ${user.username}! Sign in every day to grow your streak.`);
  } catch (err) {
    handleError(err);
  } finally {
    dom.login.disabled = false;
    dom.register.disabled = false;
  }
}

async function signIn(): Promise<void> {
  const session = state.session;
  if (!session || state.signingIn || state.status?.signedInToday) return;
  clearMessages();
  state.signingIn = true;
  renderStatus();
  try {
    const data = await gql<SignInData>(SIGN_IN, undefined, session.token);
    if (state.session !== session) return;
    const { record, status } = data.signIn;
    state.statusSeq += 1;
    state.status = status;
    const bonus = record.milestoneBonus
      ? ` Milestone reached: ${record.streak}-day streak, +${record.milestoneBonus} bonus points.`
      : '';
    showNotice((record.rewardCredited
      ? `Signed in: day ${record.cycleDay}, ${record.reward} points added to your wallet.`
      : `Signed in: day ${record.cycleDay}, ${record.reward} points are on their way to your wallet.`) + bonus);
    void loadHistory();
  } catch (err) {
    if (state.session !== session) return;
    handleError(err, 'signIn');
    if (toApiError(err).code === 'ALREADY_SIGNED_IN') void refresh();
  } finally {
    state.signingIn = false;
    renderStatus();
  }
  // The reward is credited by a background job; the subscription normally shows
  // it at once. Re-read everything a little later in case an event was missed.
  later(() => { if (state.session === session) void refresh(); }, 2500);
  later(() => { if (state.session === session) void refresh(); }, 7000);
}

/** Applies a transaction this page made (the subscription brings the same one). */
function applyOwnTx(tx: Tx): void {
  mergeTxs([tx]);
  // Only the newest transaction's balance is the balance now.
  if (state.txs[0]?.id === tx.id) {
    state.walletSeq += 1;
    state.balance = tx.balanceAfter;
  }
  renderWallet();
}

async function makeUp(date: string): Promise<void> {
  const session = state.session;
  const status = state.status;
  if (!session || !status || state.makingUp !== null) return;
  clearMessages();
  state.makingUp = date;
  renderStatus();
  // A fresh key per click: a replay of this very request returns its first answer.
  const key = newIdempotencyKey();
  try {
    const data = await gql<MakeUpData>(MAKE_UP, { date, key }, session.token);
    if (state.session !== session) return;
    const { record, status: after } = data.makeUpSignIn;
    state.statusSeq += 1;
    state.status = after;
    showNotice(`${mediumDate(record.date)} is made up (${after.makeUpCost} points). `
      + `Your streak is ${after.streak} ${after.streak === 1 ? 'day' : 'days'}.`);
    void loadHistory();
  } catch (err) {
    if (state.session !== session) return;
    handleError(err, 'makeUp', { cost: status.makeUpCost, balance: state.balance });
    // The list may have been out of date: show what is allowed now.
    void refresh();
  } finally {
    state.makingUp = null;
    renderStatus();
  }
  later(() => { if (state.session === session) void refresh(); }, 2500);
}

async function buyFreeze(): Promise<void> {
  const session = state.session;
  const status = state.status;
  if (!session || !status || state.buyingFreeze) return;
  clearMessages();
  state.buyingFreeze = true;
  renderStatus();
  const key = newIdempotencyKey();
  try {
    const data = await gql<BuyFreezeData>(BUY_FREEZE, { key }, session.token);
    if (state.session !== session) return;
    const { transaction, status: after } = data.buyStreakFreeze;
    state.statusSeq += 1;
    state.status = after;
    applyOwnTx(transaction);
    showNotice(`Streak freeze bought for ${Math.abs(transaction.amount)} points: `
      + `you hold ${after.freezesHeld} of ${after.maxFreezes}.`);
  } catch (err) {
    if (state.session !== session) return;
    handleError(err, 'buyFreeze', {
      cost: status.freezeCost, balance: state.balance, maxFreezes: status.maxFreezes,
    });
    void refresh();
  } finally {
    state.buyingFreeze = false;
    renderStatus();
  }
}

// ---------------------------------------------------------------- wiring

dom.authForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void authenticate('login');
});
dom.register.addEventListener('click', () => void authenticate('register'));
dom.signin.addEventListener('click', () => void signIn());
dom.buyFreeze.addEventListener('click', () => void buyFreeze());
dom.makeUpList.addEventListener('click', (ev) => {
  const button = (ev.target as HTMLElement | null)?.closest<HTMLButtonElement>('button[data-date]');
  if (button && !button.disabled && button.dataset.date) void makeUp(button.dataset.date);
});
dom.logout.addEventListener('click', () => {
  clearMessages();
  logout();
});
// Keep several tabs in step: a login or logout elsewhere applies here too.
window.addEventListener('storage', (ev) => {
  if (ev.key !== STORAGE_KEY) return;
  const next = loadSession();
  if (!next && state.session) logout();
  else if (next && next.token !== state.session?.token) {
    stopLive();
    startSession(next);
  }
});

const initial = loadSession();
if (initial) startSession(initial);
else {
  showView();
  renderStatus();
  renderWallet();
}
