//! The wallet balance and its append-only ledger.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int8, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::prepared::prepared;
use super::StoreError;
use crate::domain::money::Change;
use crate::model::{LedgerEntry, LedgerEntryId, SignInDates, SignInId, UserId};
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

/// The balances of the wallets the sign-ins `sign_in_ids` (dated within
/// `dates`) belong to, with
/// the wallet rows locked until the transaction ends, in user order. The
/// wallet is locked before anything else of its user, as every change to a
/// user's chain or wallet does (so a credit and a make-up that renumbers
/// the same sign-ins wait for each other instead of deadlocking).
pub async fn lock_balances_of_sign_ins(
    conn: &mut AsyncPgConnection,
    sign_in_ids: &[SignInId],
    dates: SignInDates,
) -> Result<Vec<(UserId, i64)>, StoreError> {
    use crate::schema::sign_ins;
    let owners = sign_ins::table
        .filter(super::sign_ins::ids_within_dates(sign_in_ids, dates))
        .select(sign_ins::user_id);
    Ok(wallets::table
        .filter(wallets::user_id.eq_any(owners))
        .order(wallets::user_id)
        .select((wallets::user_id, wallets::balance))
        .for_update()
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

/// The ledger row `user_id` wrote with the idempotency key `key`, if any.
/// Found through the key's own table (the partitioned ledger has no index
/// on keys): one primary-key look-up, then the row in its month's
/// partition. A key whose row was archived with its month is gone with it
/// (`store::history`).
pub async fn by_idempotency_key(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    key: &str,
) -> Result<Option<LedgerEntry>, StoreError> {
    use crate::schema::wallet_transaction_idempotency_keys as keys;
    Ok(keys::table
        .inner_join(
            wallet_transactions::table.on(wallet_transactions::id
                .eq(keys::entry_id)
                .and(wallet_transactions::created_at.eq(keys::entry_created_at))),
        )
        .filter(keys::user_id.eq(user_id))
        .filter(keys::idempotency_key.eq(key))
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
    append_many(conn, &[entry])
        .await?
        .pop()
        .ok_or(StoreError::Query(diesel::result::Error::NotFound))
}

/// Writes `entries` (in order: a wallet's entries follow each other, each
/// `balance_after` the one before plus its amount) and sets each wallet's
/// balance to its last entry's `balance_after`: two statements, however
/// many entries. Call inside a transaction that holds the wallets' locks
/// (`lock_balance`, `lock_balances_of_sign_ins`). Returns the rows written.
pub async fn append_many(
    conn: &mut AsyncPgConnection,
    entries: &[Entry<'_>],
) -> Result<Vec<LedgerEntry>, StoreError> {
    let Some(last) = entries.last() else {
        return Ok(Vec::new());
    };
    let mut final_balance: Vec<(UserId, i64)> = Vec::new();
    for entry in entries {
        match final_balance
            .iter_mut()
            .find(|(user, _)| *user == entry.user_id)
        {
            Some((_, balance)) => *balance = entry.balance_after,
            None => final_balance.push((entry.user_id, entry.balance_after)),
        }
    }
    let (users, balances): (Vec<UserId>, Vec<i64>) = final_balance.into_iter().unzip();
    prepared(
        diesel::sql_query(
            "UPDATE wallets AS w SET balance = v.balance, updated_at = $3 \
           FROM unnest($1::int8[], $2::int8[]) AS v(user_id, balance) \
          WHERE w.user_id = v.user_id",
        )
        .bind::<Array<Int8>, _>(&users)
        .bind::<Array<Int8>, _>(&balances)
        .bind::<Timestamptz, _>(last.created_at),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = entries
        .iter()
        .map(|entry| {
            (
                wallet_transactions::user_id.eq(entry.user_id),
                wallet_transactions::amount.eq(entry.change.amount),
                wallet_transactions::kind.eq(entry.change.kind),
                wallet_transactions::balance_after.eq(entry.balance_after),
                wallet_transactions::note.eq(entry.note),
                wallet_transactions::idempotency_key.eq(entry.idempotency_key),
                wallet_transactions::sign_in_id.eq(entry.sign_in_id),
                wallet_transactions::created_at.eq(entry.created_at),
            )
        })
        .collect();
    Ok(diesel::insert_into(wallet_transactions::table)
        .values(rows)
        .returning(LedgerEntry::as_returning())
        .get_results(conn)
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
