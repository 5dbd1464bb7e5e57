//! The one sequence every change to a user's wallet or chain runs: on a
//! task of its own, lock the wallet (and load the chain when the change
//! needs it), look up what the idempotency key already wrote, let the use
//! case decide and write, commit, then hand the after-commit work (cache
//! drops, announcements, jobs) to `after_commit`, whatever happens to the
//! request that asked.
//!
//! A use case is a [`LockedChange`]: its data, which lock it needs, what
//! it reads first (outside the transaction), and its decision. The decision returns what to answer and what to hand over
//! ([`Decided`]); the hand-over is infallible and follows the commit with
//! nothing fallible between them, so a committed change is never left
//! unannounced, and a refusal that committed nothing can still hand over
//! work (`signIn`'s "already signed in" drops a possibly stale status).

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tracing::Instrument;

use super::{streak, ServiceError};
use crate::after_commit::Committed;
use crate::cache::schedules::Snapshot;
use crate::domain::streak::state::ChainState;
use crate::model::{LedgerEntry, UserId};
use crate::state::AppState;
use crate::store::ledger;

/// When a change happens: its instant. (The user's today at that instant
/// is their chain's: `ChainState::today`.)
#[derive(Debug, Clone, Copy)]
pub struct At {
    pub now: DateTime<Utc>,
}

/// Whose wallet a change locks, and the idempotency key it is made under
/// (validated by the use case), if any.
#[derive(Debug, Clone)]
pub struct Key {
    pub user_id: UserId,
    pub idempotency_key: Option<String>,
}

/// What the change finds under the lock.
#[derive(Debug)]
pub struct Locked<H> {
    /// Whose wallet is locked, and under which key.
    pub key: Key,
    /// What the lock read: the balance, and the chain if asked for.
    pub held: H,
    /// The ledger row the change's idempotency key already wrote (a
    /// replay), if it has one.
    pub first: Option<LedgerEntry>,
}

/// The decision: the answer (an error commits too, when nothing was
/// written that the error should undo) and the work to hand over after
/// the commit.
#[derive(Debug)]
pub struct Decided<T> {
    pub answer: Result<T, ServiceError>,
    pub after_commit: Committed,
}

impl<T> Decided<T> {
    /// A change made (or replayed) with its after-commit work.
    pub fn made(answer: T, after_commit: Committed) -> Self {
        Decided {
            answer: Ok(answer),
            after_commit,
        }
    }

    /// A refusal that wrote nothing, with work still to hand over.
    pub fn refused(error: ServiceError, after_commit: Committed) -> Self {
        Decided {
            answer: Err(error),
            after_commit,
        }
    }
}

/// Which row lock a change takes, and what it reads with it.
pub trait Lock {
    /// What the lock read.
    type Held: Send;

    /// Locks `user_id`'s wallet row until the transaction ends and reads
    /// what the change needs. `NotFound("wallet")` for a user without one.
    fn take(
        conn: &mut AsyncPgConnection,
        state: &AppState,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Self::Held, ServiceError>> + Send;
}

/// The wallet row alone: its balance (points).
pub struct Wallet;

impl Lock for Wallet {
    type Held = i64;

    async fn take(
        conn: &mut AsyncPgConnection,
        _state: &AppState,
        user_id: UserId,
        _now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        ledger::lock_balance(conn, user_id)
            .await?
            .ok_or(ServiceError::NotFound("wallet"))
    }
}

/// The wallet row and the user's chain at the instant: (balance, chain).
pub struct WalletAndChain;

impl Lock for WalletAndChain {
    type Held = (i64, ChainState);

    async fn take(
        conn: &mut AsyncPgConnection,
        state: &AppState,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<(i64, ChainState), ServiceError> {
        streak::lock(
            conn,
            user_id,
            now,
            state.calendar.zone(),
            &state.config.protection,
        )
        .await
    }
}

/// What a change reads before its transaction: nothing fallible may
/// stand between the commit and the hand-over.
pub trait ReadFirst {
    /// What was read.
    type Value: Send;

    /// Reads it. Errors: the store's.
    fn read(state: &AppState) -> impl Future<Output = Result<Self::Value, ServiceError>> + Send;
}

/// Nothing.
pub struct Nothing;

impl ReadFirst for Nothing {
    type Value = ();

    async fn read(_state: &AppState) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// The reward schedules in force (`schedules::current`): what a change
/// records as paying it.
pub struct Schedules;

impl ReadFirst for Schedules {
    type Value = Arc<Snapshot>;

    async fn read(state: &AppState) -> Result<Arc<Snapshot>, ServiceError> {
        super::schedules::current(state).await
    }
}

/// The reward schedules to show (`schedules::for_display`): for a status
/// shown after a change that pays nothing from them.
pub struct SchedulesShown;

impl ReadFirst for SchedulesShown {
    type Value = Arc<Snapshot>;

    async fn read(state: &AppState) -> Result<Arc<Snapshot>, ServiceError> {
        super::schedules::for_display(state).await
    }
}

/// A use case that changes one user's wallet or chain.
pub trait LockedChange: Send + 'static {
    /// The lock it takes.
    type Lock: Lock;
    /// What it reads before the transaction.
    type ReadFirst: ReadFirst;
    /// What it answers.
    type Output: Send + 'static;

    /// Decides and writes, inside the transaction, under the lock. An
    /// `Err` rolls the transaction back; a [`Decided`] commits it.
    fn decide(
        self,
        conn: &mut AsyncPgConnection,
        state: &AppState,
        read: <Self::ReadFirst as ReadFirst>::Value,
        locked: Locked<<Self::Lock as Lock>::Held>,
        at: At,
    ) -> impl Future<Output = Result<Decided<Self::Output>, ServiceError>> + Send;
}

/// Runs `change` of `key`'s wallet to completion on a task of its own
/// (see the module doc) and answers what it decided.
///
/// Errors: the decision's, the store's (`Unavailable` and the like), and
/// `Internal` if the task panicked.
pub async fn run<C: LockedChange>(
    state: &Arc<AppState>,
    key: Key,
    change: C,
) -> Result<C::Output, ServiceError> {
    to_completion(state, move |state| async move {
        let read = C::ReadFirst::read(&state).await?;
        let at = At {
            now: state.calendar.now(),
        };
        let decided = {
            let mut conn = state.db().await?;
            conn.transaction::<_, ServiceError, _>(async |conn| {
                let held = C::Lock::take(conn, &state, key.user_id, at.now).await?;
                let first = match &key.idempotency_key {
                    Some(k) => ledger::by_idempotency_key(conn, key.user_id, k).await?,
                    None => None,
                };
                let locked = Locked { key, held, first };
                change.decide(conn, &state, read, locked, at).await
            })
            .await?
        };
        state.after_commit.hand_over(decided.after_commit).await;
        decided.answer
    })
    .await
}

/// Runs the use case `change` on a task of its own and waits for its
/// result. A caller that goes away (a client hanging up, a request
/// timeout) drops only its wait: the change runs on to its commit and
/// hands over its after-commit work (cache drops, announcements, jobs), so
/// nothing committed is left unannounced.
///
/// Errors: the use case's own, or `Internal` if its task panicked.
pub async fn to_completion<T, F, Fut>(state: &Arc<AppState>, change: F) -> Result<T, ServiceError>
where
    F: FnOnce(Arc<AppState>) -> Fut,
    Fut: Future<Output = Result<T, ServiceError>> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(change(state.clone()).instrument(tracing::Span::current()))
        .await
        .map_err(ServiceError::internal)?
}
