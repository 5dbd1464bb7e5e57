// Live updates over graphql-ws: `walletUpdated` moves the balance and the
// transactions, `streakUpdated` redraws the status and re-reads the recent days.
// The socket authenticates with the access token in connection_init; after a
// refresh it reconnects with the new one (`reconnectLive`), and when the service
// closes it with 4401/4403 (token or session refused) the token is refreshed
// once and a new socket opened; a refused refresh ends the session (login form).
import { createLiveClient, subscribe, toApiError } from './api';
import { handleError } from './auth';
import { accessToken, tokenRefused } from '../common/session';
import { loadHistory, refresh } from './data';
import { StreakUpdatedDocument, WalletUpdatedDocument } from '../generated/graphql';
import { renderStatus, renderWallet, setLive, showNotice } from './render';
import { later, state } from './state';
import { mergeTxs } from './wallet';

/** Refusals of the socket's token in a row without a connection in between (a loop guard). */
let refusals = 0;

/** The close code of what a subscription's sink got as an error, if it is a close. */
function closeCode(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return undefined;
}

/**
 * Opens the live socket and subscribes. `catchUp`: re-read the account once
 * connected (a new socket after a refused one: events may have been missed).
 */
export function startLive(catchUp = false): void {
  const session = state.session;
  if (!session || state.live) return;
  // The token this socket last authenticated with.
  let sent = '';
  const live = createLiveClient(() => {
    sent = accessToken();
    return sent;
  }, {
    onConnected: (reconnected) => {
      refusals = 0;
      setLive('live', true);
      // Events may have been missed while the socket was down.
      if (reconnected || catchUp) void refresh();
    },
    onClosed: () => {
      if (state.live === live) setLive('reconnecting…', false);
    },
  });
  const client = live.client;
  state.live = live;
  setLive('connecting…', false);

  const onSubError = (err: unknown) => {
    if (state.live !== live) return;
    const e = toApiError(err);
    const code = closeCode(err);
    if ((code === 4401 || code === 4403 || e.code === 'UNAUTHENTICATED') && refusals < 2) {
      // The token (or its session) was refused: refresh it once, then a new
      // socket with the new one. A refused refresh ends the session (login form).
      refusals += 1;
      stopLive();
      setLive('reconnecting…', false);
      void tokenRefused(sent).then((result) => {
        if (state.session !== session || state.live) return;
        if (result === 'ok') startLive(true);
        else if (result === 'failed') later(() => { if (state.session === session) startLive(true); }, 5000);
      });
      return;
    }
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
    subscribe(client, WalletUpdatedDocument, {
      next: (msg) => {
        if (msg.errors?.length) return onSubError(msg.errors);
        const tx = msg.data?.walletUpdated;
        if (!tx) return;
        state.walletSeq += 1;
        state.balance = tx.balanceAfter;
        state.txs = mergeTxs(state.txs, [tx]);
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
    subscribe(client, StreakUpdatedDocument, {
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

/** The access token changed: reconnect the socket with it (the subscriptions carry over). */
export function reconnectLive(): void {
  state.live?.reconnect();
}

export function stopLive(): void {
  const subs = state.unsubscribers;
  state.unsubscribers = [];
  for (const unsubscribe of subs) {
    try { unsubscribe(); } catch { /* already closed */ }
  }
  const live = state.live;
  state.live = null;
  if (live) void live.client.dispose();
}
