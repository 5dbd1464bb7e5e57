// What the check-in page knows: the session, the API's latest answers, what is
// in flight, and the counters that keep a late answer from undoing a newer one.
// The shapes are the generated ones (src/generated/graphql.ts, from the
// fragments of operations.graphql).
import type { LiveClient } from './api';
import type { Session } from '../common/session';
import type {
  HistoryDayFieldsFragment, RecordFieldsFragment, SessionFieldsFragment, StatusFieldsFragment, TxFieldsFragment,
} from '../generated/graphql';

export type SignInStatus = StatusFieldsFragment;
export type SignInRecord = RecordFieldsFragment;
export type HistoryDay = HistoryDayFieldsFragment;
export type Tx = TxFieldsFragment;
export type Milestone = NonNullable<SignInStatus['nextMilestone']>;
/** One place the user is signed in (`me.sessions`). */
export type SessionRow = SessionFieldsFragment;

export const state = {
  session: null as Session | null,
  /** True while the page load asks the refresh cookie for a session (neither the form nor the dashboard shows). */
  resuming: true,
  status: null as SignInStatus | null,
  balance: null as number | null,
  txs: [] as Tx[],
  signingIn: false,
  buyingFreeze: false,
  makingUp: null as string | null,
  /** A setTimeZone in flight (its form and button are disabled). */
  settingZone: false,
  /** Recent days (oldest first) and the date the account was created on, in the user's zone. */
  history: [] as HistoryDay[],
  registeredOn: null as string | null,
  historySeq: 0,
  // Bumped by every live event, so that an older `me` answer does not undo it.
  walletSeq: 0,
  statusSeq: 0,
  live: null as LiveClient | null,
  /** Where the user is signed in, newest first; the id being signed out; a sign-out everywhere in flight. */
  sessions: [] as SessionRow[],
  sessionsSeq: 0,
  revoking: null as string | null,
  signingOutEverywhere: false,
  unsubscribers: [] as (() => void)[],
  timers: [] as number[],
};

/** Forgets the account's data (a new login, or a logout). */
export function clearAccount(): void {
  state.status = null;
  state.balance = null;
  state.txs = [];
  state.history = [];
  state.registeredOn = null;
  state.sessions = [];
  state.revoking = null;
  state.signingOutEverywhere = false;
}

/** Runs `fn` after `ms` unless the session ends first (logout clears the timers). */
export function later(fn: () => void, ms: number): void {
  state.timers.push(window.setTimeout(fn, ms));
}
