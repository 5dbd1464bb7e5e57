// What the buttons do: sign in, make up a missed day, buy a streak freeze,
// change the time zone. Each is disabled while its request is in flight;
// make-ups and freezes send a fresh idempotency key per click.
import { newIdempotencyKey, toApiError } from './api';
import { handleError } from './auth';
import { loadHistory, refresh } from './data';
import { mediumDate } from './dates';
import { dom } from './dom';
import { call } from '../common/session';
import { BuyFreezeDocument, MakeUpDocument, SetTimeZoneDocument, SignInDocument } from '../generated/graphql';
import { clearMessages, renderStatus, renderWallet, showError, showNotice } from './render';
import { later, state, type Tx } from './state';
import { renderZone } from './timezone';
import { mergeTxs } from './wallet';

export async function signIn(): Promise<void> {
  const session = state.session;
  if (!session || state.signingIn || state.status?.signedInToday) return;
  clearMessages();
  state.signingIn = true;
  renderStatus();
  try {
    const data = await call(SignInDocument, {});
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
  state.txs = mergeTxs(state.txs, [tx]);
  // Only the newest transaction's balance is the balance now.
  if (state.txs[0]?.id === tx.id) {
    state.walletSeq += 1;
    state.balance = tx.balanceAfter;
  }
  renderWallet();
}

export async function makeUp(date: string): Promise<void> {
  const session = state.session;
  const status = state.status;
  if (!session || !status || state.makingUp !== null) return;
  clearMessages();
  state.makingUp = date;
  renderStatus();
  // A fresh key per click: a replay of this very request returns its first answer.
  const key = newIdempotencyKey();
  try {
    const data = await call(MakeUpDocument, { date, key });
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

export async function buyFreeze(): Promise<void> {
  const session = state.session;
  const status = state.status;
  if (!session || !status || state.buyingFreeze) return;
  clearMessages();
  state.buyingFreeze = true;
  renderStatus();
  const key = newIdempotencyKey();
  try {
    const data = await call(BuyFreezeDocument, { key });
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

/**
 * Counts the user's days in the IANA zone `name` from now on (`setTimeZone`),
 * then reads the status again: today, the cycle and the day's end follow the
 * new zone. The zone they already have is a success that changes nothing.
 * Refusals: an unknown name (BAD_USER_INPUT naming timeZone) and a change too
 * soon after the last one (LIMIT_REACHED, with retryAfter), in words by messages.ts.
 */
export async function setTimeZone(name: string): Promise<void> {
  const session = state.session;
  const before = state.status?.timeZone;
  const zone = name.trim();
  if (!session || state.settingZone) return;
  clearMessages();
  if (!zone) {
    showError('Enter a time zone, such as Europe/Paris.');
    return;
  }
  state.settingZone = true;
  renderZone();
  try {
    const data = await call(SetTimeZoneDocument, { timeZone: zone });
    if (state.session !== session) return;
    const after = data.setTimeZone.timeZone;
    dom.zoneInput.value = '';
    showNotice(after === before ? `Your time zone is already ${after}.` : `Your time zone is now ${after}.`);
    await refresh();
  } catch (err) {
    if (state.session !== session) return;
    handleError(err, 'setTimeZone', { zone });
  } finally {
    state.settingZone = false;
    renderZone();
  }
}
