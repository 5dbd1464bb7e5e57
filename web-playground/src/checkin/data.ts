// Reading the account: `me` (status, wallet) and the recent days. Answers that
// arrive after a logout, or after a newer live event or call, are dropped.
import { handleError } from './auth';
import { addDays, utcDate } from './dates';
import { zoneDate } from './zones';
import { call } from '../common/session';
import { HistoryDocument, MeDocument } from '../generated/graphql';
import { HISTORY_DAYS } from './protection';
import { renderStatus, renderWallet, showView } from './render';
import { state } from './state';
import { mergeTxs } from './wallet';

export async function refresh(): Promise<void> {
  const session = state.session;
  if (!session) return;
  const walletSeq = state.walletSeq;
  const statusSeq = state.statusSeq;
  try {
    const data = await call(MeDocument, {});
    if (state.session !== session) return; // logged out meanwhile
    const me = data.me;
    if (me.username !== session.username) {
      session.username = me.username;
      showView();
    }
    // The user's days are counted in their zone: so is the day they registered
    // (in the zone they have now; the UTC date if this browser does not know it).
    state.registeredOn = zoneDate(me.createdAt, me.signInStatus.timeZone) ?? utcDate(me.createdAt);
    if (state.statusSeq === statusSeq || !state.status) state.status = me.signInStatus;
    if (state.walletSeq === walletSeq || state.balance === null) state.balance = me.wallet.balance;
    state.txs = mergeTxs(state.txs, me.wallet.transactions.edges.map((e) => e.node));
    renderStatus();
    renderWallet();
  } catch (err) {
    if (state.session === session) handleError(err);
    return;
  }
  await loadHistory();
}

/**
 * Re-reads the recent days, up to the server's today (its clock, not the
 * browser's). Only the answer to the latest call is applied.
 */
export async function loadHistory(): Promise<void> {
  const session = state.session;
  const today = state.status?.today;
  if (!session || !today) return;
  state.historySeq += 1;
  const seq = state.historySeq;
  try {
    const data = await call(HistoryDocument, { from: addDays(today, -(HISTORY_DAYS - 1)), to: today });
    if (state.session !== session || state.historySeq !== seq) return;
    state.history = data.me.signInHistory;
    renderStatus();
  } catch (err) {
    if (state.session === session && state.historySeq === seq) handleError(err);
  }
}
