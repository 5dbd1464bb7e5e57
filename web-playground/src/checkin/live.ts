// Live updates over graphql-ws: `walletUpdated` moves the balance and the
// transactions, `streakUpdated` redraws the status and re-reads the recent days.
import { createLiveClient, subscribe, toApiError } from './api';
import { handleError } from './auth';
import { loadHistory, refresh } from './data';
import { StreakUpdatedDocument, WalletUpdatedDocument } from '../generated/graphql';
import { renderStatus, renderWallet, setLive, showNotice } from './render';
import { later, state } from './state';
import { mergeTxs } from './wallet';

export function startLive(): void {
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

export function stopLive(): void {
  const subs = state.unsubscribers;
  state.unsubscribers = [];
  for (const unsubscribe of subs) {
    try { unsubscribe(); } catch { /* already closed */ }
  }
  const client = state.live;
  state.live = null;
  if (client) void client.dispose();
}
