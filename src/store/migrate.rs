//! Embedded migrations, applied under an advisory lock so that several
//! processes starting at once do not race each other.

use chrono_tz::Tz;
use diesel::sql_types::{BigInt, Text};
use diesel_async::AsyncMigrationHarness;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::StoreError;
use crate::domain::rewards::RewardTable;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// An arbitrary constant shared by every process of this service.
const MIGRATION_LOCK_KEY: i64 = 0x5167_6e69_6e52_6577;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<diesel::result::Error> for MigrateError {
    fn from(e: diesel::result::Error) -> Self {
        MigrateError::Store(e.into())
    }
}

/// Applies every pending migration; returns how many ran. Needs a
/// multi-thread runtime (diesel's harness is synchronous).
pub async fn run_pending(database_url: &str) -> Result<usize, MigrateError> {
    run_pending_with(database_url, None).await
}

/// The service's settings that migrations of existing data take.
#[derive(Debug, Clone, Copy)]
pub struct Programme<'a> {
    /// `SIGNIN_REWARDS`, as `signin.rewards`: the reward schedules'
    /// migration makes it the schedule that paid the sign-ins recorded
    /// before it.
    pub rewards: &'a RewardTable,
    /// `SIGNIN_TIMEZONE`, as `signin.timezone`: the per-user time zones'
    /// migration gives it to the users who existed before it.
    pub timezone: Tz,
}

/// As [`run_pending`], telling the migrations the service's settings
/// (see [`Programme`]); without them they take the defaults.
pub async fn run_pending_with(
    database_url: &str,
    programme: Option<Programme<'_>>,
) -> Result<usize, MigrateError> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    if let Some(programme) = programme {
        diesel::sql_query(
            "SELECT set_config('signin.rewards', $1, false), set_config('signin.timezone', $2, false)",
        )
        .bind::<Text, _>(programme.rewards.to_string())
        .bind::<Text, _>(programme.timezone.name())
        .execute(&mut conn)
        .await?;
    }
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn)
        .await?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.len())
        .map_err(|e| MigrateError::Migration(e.to_string()));
    let mut conn = harness.into_inner();
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn)
        .await?;
    applied
}
