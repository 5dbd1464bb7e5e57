//! Rows that cross layers: read by the store, cached, announced in events,
//! shown by the API. Query-specific projections stay in `store`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Bool, Date, Int2, Int4, Text};
use diesel::{Queryable, QueryableByName, Selectable};
use serde::{Deserialize, Serialize};

use super::{
    LedgerEntryId, LedgerKind, Role, ScheduleId, SessionId, SignInId, UserId, WebhookDeliveryId,
    WebhookDeliveryStatus, WebhookEndpointId, WebhookEventType,
};
use crate::schema::{reward_schedules, sessions, sign_ins, users, wallet_transactions};

/// A user as the service keeps them (never the password hash).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq, Serialize, Deserialize)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub token_version: i32,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The sessions not ended (their access tokens work): kept with the
    /// row so a token check needs no other read.
    pub live_sessions: Vec<i64>,
    /// The IANA zone the user's days are counted in (`User.timeZone`).
    pub time_zone: String,
    /// The registration date, in the zone the user had then.
    pub registered_on: NaiveDate,
    /// The last change of `time_zone` (None: never changed).
    pub time_zone_changed_at: Option<DateTime<Utc>>,
}

impl User {
    /// Whether the session `id` of this user has not ended.
    pub fn has_live_session(&self, id: SessionId) -> bool {
        self.live_sessions.contains(&id.0)
    }
}

/// One signed-in device or client of a user (`sessions`).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq, Serialize, Deserialize)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    /// Its login or latest refresh.
    pub last_used_at: DateTime<Utc>,
    /// The absolute end (`sessionExpiresAt`).
    pub expires_at: DateTime<Utc>,
    /// The login's `User-Agent`, at most 200 characters.
    pub user_agent: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// One user's sign-in on one business day; until `credited_at` is set,
/// also the obligation to credit its reward.
#[derive(
    Debug, Clone, Queryable, QueryableByName, Selectable, PartialEq, Eq, Serialize, Deserialize,
)]
#[diesel(table_name = sign_ins, check_for_backend(diesel::pg::Pg))]
pub struct SignIn {
    pub id: SignInId,
    pub user_id: UserId,
    pub day: NaiveDate,
    pub cycle_day: i16,
    pub streak: i32,
    pub reward: i64,
    pub created_at: DateTime<Utc>,
    pub credited_at: Option<DateTime<Utc>>,
    /// Filled afterwards by `makeUpSignIn` (reward 0, no bonus, nothing to
    /// credit).
    pub made_up: bool,
    /// The milestone bonus (points) this sign-in earned when it happened;
    /// the job credits it with the reward.
    pub milestone_bonus: Option<i64>,
    /// The schedule in force on `day`, which set `reward` (for a made-up
    /// date, the one in force on it, though it pays nothing).
    pub schedule_id: ScheduleId,
}

/// The dates, first to last inclusive, that a set of sign-ins lies in.
/// `sign_ins` is partitioned by month of its date (migration
/// `2026-12-11-000001_partitioned_history`) and keyed `(id, day)`: a lookup
/// by id alone descends the index of every month kept, one bounded by these
/// dates only the months they span. Serialised as
/// `{"first": "YYYY-MM-DD", "last": "YYYY-MM-DD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInDates {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl SignInDates {
    /// Every date PostgreSQL can hold (from 4713 BC) that chrono can: for
    /// ids whose dates are not known (a caller with ids only, a job queued
    /// by a build that did not record them).
    pub const ANY: SignInDates = SignInDates {
        first: match NaiveDate::from_ymd_opt(-4712, 1, 1) {
            Some(date) => date,
            None => panic!("4713 BC is a date chrono holds"),
        },
        last: NaiveDate::MAX,
    };

    /// The smallest range holding every one of `dates` (None for none).
    pub fn spanning(dates: impl IntoIterator<Item = NaiveDate>) -> Option<SignInDates> {
        dates.into_iter().fold(None, |span, date| {
            Some(match span {
                None => SignInDates {
                    first: date,
                    last: date,
                },
                Some(SignInDates { first, last }) => SignInDates {
                    first: first.min(date),
                    last: last.max(date),
                },
            })
        })
    }
}

/// One row of a wallet's append-only ledger (`wallet_transactions`).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq, Serialize, Deserialize)]
#[diesel(table_name = wallet_transactions, check_for_backend(diesel::pg::Pg))]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    pub user_id: UserId,
    pub amount: i64,
    pub kind: LedgerKind,
    pub balance_after: i64,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
    pub sign_in_id: Option<SignInId>,
    pub created_at: DateTime<Utc>,
}

/// What a history shows of one date: a sign-in (signed or made up) or a
/// frozen date (then the position and reward are 0 and unused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub day: NaiveDate,
    pub cycle_day: i16,
    pub streak: i32,
    pub reward: i64,
    pub made_up: bool,
    pub frozen: bool,
}

/// A schedule as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = reward_schedules, check_for_backend(diesel::pg::Pg))]
pub struct ScheduleRow {
    pub id: ScheduleId,
    /// Cycle days 1..7 (the table's CHECK holds seven, 0..=1,000,000).
    pub rewards: Vec<i32>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// One signed date of one user, as the export writes it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct SignInExportRow {
    #[diesel(sql_type = BigInt)]
    pub user_id: UserId,
    /// As stored, also for a deleted user (names are never reused).
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Int2)]
    pub cycle_day: i16,
    #[diesel(sql_type = Int4)]
    pub streak: i32,
    #[diesel(sql_type = BigInt)]
    pub reward: i64,
    #[diesel(sql_type = Bool)]
    pub made_up: bool,
    /// Whether the reward's ledger row has committed.
    #[diesel(sql_type = Bool)]
    pub credited: bool,
}

/// An endpoint as stored (never its secrets).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = crate::schema::webhook_endpoints, check_for_backend(diesel::pg::Pg))]
pub struct EndpointRow {
    pub id: WebhookEndpointId,
    pub url: String,
    pub events: Vec<WebhookEventType>,
    pub description: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A message of an endpoint, as `webhookDeliveries` shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeliveryRow {
    #[diesel(sql_type = BigInt)]
    pub id: WebhookDeliveryId,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = crate::schema::sql_types::WebhookEventType)]
    pub event_type: WebhookEventType,
    #[diesel(sql_type = crate::schema::sql_types::WebhookDeliveryStatus)]
    pub status: WebhookDeliveryStatus,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// One attempt, as shown.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::webhook_attempts, check_for_backend(diesel::pg::Pg))]
pub struct AttemptRow {
    pub delivery_id: WebhookDeliveryId,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}
