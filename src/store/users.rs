//! The `users` and `wallets` tables' account side.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::StoreError;
use crate::domain::account::Username;
use crate::model::{Role, User, UserId};
use crate::schema::{time_zone_changes, users, wallets};

#[diesel::declare_sql_function]
extern "SQL" {
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// What a login checks.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    password_hash: &'a str,
    role: Role,
    created_at: DateTime<Utc>,
    time_zone: &'a str,
    registered_on: NaiveDate,
}

/// Creates the user and their empty wallet in one transaction, with their
/// time zone (a valid IANA name) and the date of `now` there.
/// A taken username is `StoreError::UniqueViolation`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    username: &Username,
    password_hash: &str,
    role: Role,
    time_zone: Tz,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    use diesel_async::AsyncConnection;
    conn.transaction::<_, StoreError, _>(async |conn| {
        let user: User = diesel::insert_into(users::table)
            .values(NewUser {
                username: username.as_str(),
                password_hash,
                role,
                created_at: now,
                time_zone: time_zone.name(),
                registered_on: now.with_timezone(&time_zone).date_naive(),
            })
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        diesel::insert_into(wallets::table)
            .values((
                wallets::user_id.eq(user.id),
                wallets::balance.eq(0i64),
                wallets::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        Ok(user)
    })
    .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: UserId) -> Result<Option<User>, StoreError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The users of `ids` that exist, deleted ones included, in no particular
/// order.
pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[UserId],
) -> Result<Vec<User>, StoreError> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)
        .await?)
}

/// The user named `username`, case-insensitively.
pub async fn find_by_username(
    conn: &mut AsyncPgConnection,
    username: &Username,
) -> Result<Option<User>, StoreError> {
    Ok(users::table
        .filter(lower(users::username).eq(username.folded()))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// What a login of `username` (case-insensitively) checks.
pub async fn credentials(
    conn: &mut AsyncPgConnection,
    username: &Username,
) -> Result<Option<Credentials>, StoreError> {
    Ok(users::table
        .filter(lower(users::username).eq(username.folded()))
        .select(Credentials::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The username and password hash of the live user `id`.
pub async fn live_credentials(
    conn: &mut AsyncPgConnection,
    id: UserId,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .select((users::username, users::password_hash))
        .first(conn)
        .await
        .optional()?)
}

/// Stores a new hash and bumps the token version, revoking earlier tokens.
/// Returns the user as it now is.
pub async fn change_password(
    conn: &mut AsyncPgConnection,
    id: UserId,
    password_hash: &str,
) -> Result<Option<User>, StoreError> {
    Ok(
        diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
            .set((
                users::password_hash.eq(password_hash),
                users::token_version.eq(users::token_version + 1),
            ))
            .returning(User::as_returning())
            .get_result(conn)
            .await
            .optional()?,
    )
}

pub async fn set_role(
    conn: &mut AsyncPgConnection,
    id: UserId,
    role: Role,
) -> Result<Option<User>, StoreError> {
    Ok(
        diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
            .set(users::role.eq(role))
            .returning(User::as_returning())
            .get_result(conn)
            .await
            .optional()?,
    )
}

/// An arbitrary constant of this service: the lock that orders changes
/// which may remove an admin.
const ADMINS_LOCK_KEY: i64 = 0x4164_6d69_6e73_4c6b;

/// Takes the admins' lock exclusively until the transaction ends. Every
/// transaction that demotes or deletes an admin takes it first, then counts
/// the admins left: two such changes never both see the other's admin, so
/// the last admin is never removed, however many arrive at once.
pub async fn lock_admins(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(ADMINS_LOCK_KEY)
        .execute(conn)
        .await?;
    Ok(())
}

/// The live admins other than `except`. Call under [`lock_admins`].
pub async fn other_live_admins(
    conn: &mut AsyncPgConnection,
    except: UserId,
) -> Result<i64, StoreError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::deleted_at.is_null())
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
        .await?)
}

/// Soft delete: the row stays (its ledger and sign-ins refer to it), its
/// tokens stop working. Returns false when there was no such live user.
pub async fn soft_delete(
    conn: &mut AsyncPgConnection,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
        .set((
            users::deleted_at.eq(now),
            users::token_version.eq(users::token_version + 1),
        ))
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

/// Live users whose name contains `needle` (case-insensitive; see
/// `domain::account::search_needle`), by id, after `after_id`. LIKE
/// wildcards in the needle are matched literally.
pub async fn search(
    conn: &mut AsyncPgConnection,
    needle: &str,
    after_id: Option<UserId>,
    limit: i64,
) -> Result<Vec<User>, StoreError> {
    let escaped = needle
        .to_ascii_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut query = users::table
        .filter(lower(users::username).like(format!("%{escaped}%")))
        .filter(users::deleted_at.is_null())
        .select(User::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_id {
        query = query.filter(users::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

/// A change of a user's zone, as [`record_zone_change`] writes it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = time_zone_changes)]
pub struct ZoneChangeRow<'a> {
    pub user_id: UserId,
    pub changed_at: DateTime<Utc>,
    pub from_zone: &'a str,
    pub to_zone: &'a str,
    /// The date it jumped over moving east, if any.
    pub jumped_date: Option<NaiveDate>,
}

/// When the user's zone last changed (None: never). Call under the
/// user's wallet lock, which every change of the zone takes.
pub async fn zone_changed_at(
    conn: &mut AsyncPgConnection,
    id: UserId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(users::table
        .find(id)
        .select(users::time_zone_changed_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .await
        .optional()?
        .flatten())
}

/// Sets the user's zone and appends the change to their history (one row
/// per jumped date, or one without when none was jumped); answers the row.
/// Call under the user's wallet lock.
pub async fn record_zone_change(
    conn: &mut AsyncPgConnection,
    change: &[ZoneChangeRow<'_>],
) -> Result<Option<User>, StoreError> {
    let Some(first) = change.first() else {
        return Ok(None);
    };
    diesel::insert_into(time_zone_changes::table)
        .values(change)
        .execute(conn)
        .await?;
    Ok(diesel::update(users::table.find(first.user_id))
        .set((
            users::time_zone.eq(first.to_zone),
            users::time_zone_changed_at.eq(first.changed_at),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}
