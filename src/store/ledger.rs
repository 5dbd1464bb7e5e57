//! The wallet balance and its append-only ledger.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::StoreError;
use crate::domain::money::Change;
use crate::model::{LedgerEntry, LedgerEntryId, SignInId, UserId};
use crate::schema::{wallet_transactions, wallets};

/// The change `entry` made, as a request for it would state it.
pub fn change(entry: &LedgerEntry) -> Change {
    Change {
        kind: entry.kind,
        amount: entry.amount,
    }
}

/// What is written with a change.
#[derive(Debug)]
pub struct Entry<'a> {
    pub user_id: UserId,
    pub change: Change,
    pub balance_after: i64,
    pub note: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub sign_in_id: Option<SignInId>,
    pub created_at: DateTime<Utc>,
}

pub async fn balances(
    conn: &mut AsyncPgConnection,
    user_ids: &[UserId],
) -> Result<Vec<(UserId, i64)>, StoreError> {
    Ok(wallets::table
        .filter(wallets::user_id.eq_any(user_ids))
        .select((wallets::user_id, wallets::balance))
        .load(conn)
        .await?)
}

/// The balance, with the wallet row locked until the transaction ends: every
/// change to one wallet is serialized here.
pub async fn lock_balance(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> Result<Option<i64>, StoreError> {
    Ok(wallets::table
        .find(user_id)
        .select(wallets::balance)
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_idempotency_key(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    key: &str,
) -> Result<Option<LedgerEntry>, StoreError> {
    Ok(wallet_transactions::table
        .filter(wallet_transactions::user_id.eq(user_id))
        .filter(wallet_transactions::idempotency_key.eq(key))
        .select(LedgerEntry::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Writes the new balance and its ledger row. Call inside a transaction that
/// holds the wallet lock (`lock_balance`).
pub async fn append(
    conn: &mut AsyncPgConnection,
    entry: Entry<'_>,
) -> Result<LedgerEntry, StoreError> {
    diesel::update(wallets::table.find(entry.user_id))
        .set((
            wallets::balance.eq(entry.balance_after),
            wallets::updated_at.eq(entry.created_at),
        ))
        .execute(conn)
        .await?;
    Ok(diesel::insert_into(wallet_transactions::table)
        .values((
            wallet_transactions::user_id.eq(entry.user_id),
            wallet_transactions::amount.eq(entry.change.amount),
            wallet_transactions::kind.eq(entry.change.kind),
            wallet_transactions::balance_after.eq(entry.balance_after),
            wallet_transactions::note.eq(entry.note),
            wallet_transactions::idempotency_key.eq(entry.idempotency_key),
            wallet_transactions::sign_in_id.eq(entry.sign_in_id),
            wallet_transactions::created_at.eq(entry.created_at),
        ))
        .returning(LedgerEntry::as_returning())
        .get_result(conn)
        .await?)
}

/// Newest first, ids below `before_id`, at most `limit` rows.
pub async fn page(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    before_id: Option<LedgerEntryId>,
    limit: i64,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let mut query = wallet_transactions::table
        .filter(wallet_transactions::user_id.eq(user_id))
        .order(wallet_transactions::id.desc())
        .limit(limit)
        .select(LedgerEntry::as_select())
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(wallet_transactions::id.lt(before));
    }
    Ok(query.load(conn).await?)
}
