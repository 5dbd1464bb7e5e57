// The wallet's pure parts: transaction labels, amounts, and merging what the
// page already shows with what arrives (a `me` answer, a live event, a purchase).
import type { Tx } from './state';

/** How many transactions the page keeps and shows. */
export const MAX_TX = 20;

export const KIND_LABELS: Record<string, string> = {
  SIGN_IN_REWARD: 'Sign-in reward',
  SPEND: 'Spend',
  ADJUSTMENT: 'Adjustment',
  MAKE_UP_FEE: 'Make-up sign-in',
  STREAK_FREEZE: 'Streak freeze',
  MILESTONE_BONUS: 'Milestone bonus',
};

/** "+20" or "−50" (a real minus sign). */
export function amountText(amount: number): string {
  return `${amount >= 0 ? '+' : '−'}${Math.abs(amount)}`;
}

/**
 * `incoming` merged into `current`: one entry per id (the incoming one wins),
 * newest first, at most `max`. Ties in time keep the incoming order first.
 */
export function mergeTxs(current: Tx[], incoming: Tx[], max = MAX_TX): Tx[] {
  const byId = new Map<string, Tx>();
  for (const tx of [...incoming, ...current]) if (!byId.has(tx.id)) byId.set(tx.id, tx);
  const all = [...byId.values()];
  const t = (tx: Tx) => {
    const v = Date.parse(tx.createdAt);
    return Number.isFinite(v) ? v : 0;
  };
  // Newest first; Array.prototype.sort is stable, so ties keep the incoming order.
  all.sort((a, b) => t(b) - t(a));
  return all.slice(0, max);
}
