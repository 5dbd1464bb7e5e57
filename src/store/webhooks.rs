//! The webhook tables: endpoints and their secrets, the outbox of events
//! (`webhook_events`, written in the transaction of the change each
//! reports), one delivery per (event, endpoint) and its attempts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::prepared::prepared;
use super::StoreError;
use crate::model::{
    AttemptRow, DeliveryRow, EndpointRow, UserId, WebhookDeliveryId, WebhookDeliveryStatus,
    WebhookEndpointId, WebhookEventType,
};
use crate::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_secrets};

/// A new endpoint.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub events: &'a [WebhookEventType],
    pub description: &'a str,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
}

/// What an update changes (None: stays).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [WebhookEventType]>,
    pub description: Option<&'a str>,
    pub enabled: Option<bool>,
    /// Set with `enabled: false` by the service; cleared (Some(None)) when
    /// an admin enables the endpoint.
    pub disabled_reason: Option<Option<&'a str>>,
    pub failing_since: Option<Option<DateTime<Utc>>>,
}

/// Creates an endpoint with its first secret.
pub async fn create(
    conn: &mut AsyncPgConnection,
    endpoint: &NewEndpoint<'_>,
    secret: &str,
) -> Result<EndpointRow, StoreError> {
    let row: EndpointRow = diesel::insert_into(webhook_endpoints::table)
        .values(endpoint)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await?;
    add_secret(conn, row.id, secret, endpoint.created_at).await?;
    Ok(row)
}

/// The endpoint `id`, unless deleted; with `lock`, its row is locked until
/// the transaction ends.
pub async fn find(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    lock: bool,
) -> Result<Option<EndpointRow>, StoreError> {
    let query = webhook_endpoints::table
        .find(id)
        .filter(webhook_endpoints::deleted_at.is_null())
        .select(EndpointRow::as_select());
    let found = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    Ok(found.optional()?)
}

/// Every endpoint not deleted, oldest first.
pub async fn all(conn: &mut AsyncPgConnection) -> Result<Vec<EndpointRow>, StoreError> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::deleted_at.is_null())
        .order(webhook_endpoints::id)
        .select(EndpointRow::as_select())
        .load(conn)
        .await?)
}

/// Which of `kinds` some enabled endpoint (not deleted) subscribes to now.
pub async fn subscribed(
    conn: &mut AsyncPgConnection,
    kinds: &[WebhookEventType],
) -> Result<Vec<WebhookEventType>, StoreError> {
    let subscriptions: Vec<Vec<WebhookEventType>> = webhook_endpoints::table
        .filter(webhook_endpoints::enabled)
        .filter(webhook_endpoints::deleted_at.is_null())
        .filter(webhook_endpoints::events.overlaps_with(kinds))
        .select(webhook_endpoints::events)
        .load(conn)
        .await?;
    Ok(kinds
        .iter()
        .copied()
        .filter(|kind| subscriptions.iter().any(|events| events.contains(kind)))
        .collect())
}

/// Applies `changes` to the endpoint `id` (not deleted); answers it after.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    changes: &EndpointChanges<'_>,
) -> Result<Option<EndpointRow>, StoreError> {
    Ok(diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::deleted_at.is_null()),
    )
    .set(changes)
    .returning(EndpointRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Deletes the endpoint (kept for its deliveries' history, never sent to
/// again); its pending messages fail. True when it was there.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let deleted = diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::deleted_at.is_null()),
    )
    .set((
        webhook_endpoints::deleted_at.eq(now),
        webhook_endpoints::enabled.eq(false),
    ))
    .execute(conn)
    .await?;
    fail_pending(conn, id).await?;
    Ok(deleted == 1)
}

/// Every pending message of the endpoint fails (it was disabled or deleted).
pub async fn fail_pending(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(id))
            .filter(webhook_deliveries::status.eq(WebhookDeliveryStatus::Pending)),
    )
    .set((
        webhook_deliveries::status.eq(WebhookDeliveryStatus::Failed),
        webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?)
}

/// Adds a signing secret to the endpoint.
pub async fn add_secret(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(webhook_secrets::table)
        .values((
            webhook_secrets::endpoint_id.eq(id),
            webhook_secrets::secret.eq(secret),
            webhook_secrets::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes every secret of the endpoint that has no end end at `at`
/// (a rotation: they keep signing until then).
pub async fn expire_secrets(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(
        webhook_secrets::table
            .filter(webhook_secrets::endpoint_id.eq(id))
            .filter(webhook_secrets::expires_at.is_null()),
    )
    .set(webhook_secrets::expires_at.eq(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// One event for the outbox: a key unique to it (it ties the event to the
/// deliveries written in the same statement), type, user, and the fields
/// of its `data` besides the user's (a JSON object, as text).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub key: String,
    pub event_type: WebhookEventType,
    pub user_id: UserId,
    pub data: String,
}

#[derive(QueryableByName)]
struct DeliveryIdRow {
    #[diesel(sql_type = BigInt)]
    id: WebhookDeliveryId,
}

/// The outbox's fan-out as common table expressions (`ev`, `subscribed`,
/// `inserted`, `deliveries`), over the events in the six parameters from
/// `$first` on (keys, types, wire names, users, data, and the instant),
/// each kept only where `guard` (SQL) holds: the events go into the outbox
/// with one delivery per enabled endpoint subscribed to their type now; an
/// event no endpoint wants is not written. The body is built here, from the
/// data and the user's id, username and time zone:
/// `{"type", "timestamp", "data"}`. `deliveries` answers the new deliveries'
/// ids. (The deliveries join the new events with the few endpoints again,
/// not with `subscribed`: planned on the parameters' default estimate of
/// 10 rows, that join of two CTEs was a nested loop, 150 ms for 1,000
/// reminders where this is 20.) Used by [`record_events`] and by the
/// sign-in's own statement (`sign_ins::insert_with_events`), each with
/// constant text.
pub fn fan_out(first: usize, guard: &str) -> String {
    let p = |i: usize| format!("${}", first + i);
    format!(
        "ev AS ( \
           SELECT * FROM unnest({keys}::text[], {types}::text[], {wire}::text[], {users}::bigint[], {data}::text[]) \
                  AS e(event_key, event_type, wire_type, user_id, data) WHERE {guard}), \
         subscribed AS ( \
           SELECT ev.*, ep.id AS endpoint_id FROM ev \
             JOIN webhook_endpoints ep ON ep.enabled AND ep.deleted_at IS NULL \
                                      AND ev.event_type::webhook_event_type = ANY (ep.events)), \
         inserted AS ( \
           INSERT INTO webhook_events (event_key, event_type, user_id, body, created_at) \
           SELECT DISTINCT ON (s.event_key) s.event_key, s.event_type::webhook_event_type, s.user_id, \
                  json_build_object('type', s.wire_type, \
                                    'timestamp', to_char({now} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
                                    'data', jsonb_build_object('userId', u.id::text, 'username', u.username, \
                                                               'timeZone', u.time_zone) || s.data::jsonb)::text, \
                  {now} \
             FROM subscribed s JOIN users u ON u.id = s.user_id \
           RETURNING id, event_type), \
         deliveries AS ( \
           INSERT INTO webhook_deliveries (event_id, endpoint_id, created_at, next_attempt_at) \
           SELECT i.id, ep.id, {now}, {now} FROM inserted i \
             JOIN webhook_endpoints ep ON ep.enabled AND ep.deleted_at IS NULL \
                                      AND i.event_type = ANY (ep.events) \
           RETURNING id)",
        keys = p(0),
        types = p(1),
        wire = p(2),
        users = p(3),
        data = p(4),
        now = p(5),
    )
}

/// The text of [`record_events`]'s statement (built once: constant).
static RECORD_EVENTS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("WITH {} SELECT id FROM deliveries", fan_out(1, "true")));

/// The six parameters of [`fan_out`] for `events`, as bound.
pub struct EventBinds<'a> {
    pub keys: Vec<&'a str>,
    pub types: Vec<&'static str>,
    pub wire: Vec<&'static str>,
    pub users: Vec<i64>,
    pub data: Vec<&'a str>,
}

impl<'a> EventBinds<'a> {
    pub fn of(events: &'a [NewEvent]) -> Self {
        EventBinds {
            keys: events.iter().map(|e| e.key.as_str()).collect(),
            types: events.iter().map(|e| e.event_type.db_name()).collect(),
            wire: events.iter().map(|e| e.event_type.wire_name()).collect(),
            users: events.iter().map(|e| e.user_id.0).collect(),
            data: events.iter().map(|e| e.data.as_str()).collect(),
        }
    }
}

/// Writes `events` into the outbox (see [`fan_out`]) in one statement.
/// Call in the transaction of the change the events report. Answers the
/// new deliveries (due at `now`).
pub async fn record_events(
    conn: &mut AsyncPgConnection,
    events: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<Vec<WebhookDeliveryId>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let b = EventBinds::of(events);
    let rows: Vec<DeliveryIdRow> = prepared(
        diesel::sql_query(RECORD_EVENTS.as_str())
            .bind::<Array<Text>, _>(&b.keys)
            .bind::<Array<Text>, _>(&b.types)
            .bind::<Array<Text>, _>(&b.wire)
            .bind::<Array<BigInt>, _>(&b.users)
            .bind::<Array<Text>, _>(&b.data)
            .bind::<Timestamptz, _>(now),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// A delivery claimed for one attempt: where to, what, and with which
/// secrets.
#[derive(Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: WebhookDeliveryId,
    #[diesel(sql_type = BigInt)]
    pub endpoint_id: WebhookEndpointId,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Attempts made before this one.
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub failing_since: Option<DateTime<Utc>>,
    /// The endpoint's live secrets at the claim (unexpired), newest first:
    /// each signs the message.
    #[diesel(sql_type = Array<Text>)]
    pub secrets: Vec<String>,
}

/// Without the secrets' values: a claim printed in a log must not carry
/// them.
impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("id", &self.id)
            .field("endpoint_id", &self.endpoint_id)
            .field("url", &self.url)
            .field("message_id", &self.message_id)
            .field("attempts", &self.attempts)
            .field("failing_since", &self.failing_since)
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

/// Claims the deliveries `ids` for an attempt, those pending, due at `now`,
/// not claimed by another worker (or their lease over) and whose endpoint
/// is enabled: leases them until `lease_until` (so no other worker takes
/// them while this one sends; a heap-only update, see the migration
/// `webhook_write_path`) and answers what to send, by endpoint then id,
/// each with its endpoint's live secrets (read here, not by a statement
/// per endpoint).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    ids: &[WebhookDeliveryId],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    // The rows are found by id first (a materialized CTE), then checked:
    // planned on the statistics of a table that a burst had just filled
    // (the reminders), the claim as one join used the due and endpoint
    // indexes and read every pending row (60 ms a batch, not 0.4).
    // Each endpoint's live secrets are read once (`keys`), not once per
    // claimed row: a batch holds many messages of each endpoint.
    let mut claimed: Vec<Claimed> = diesel::sql_query(
        "WITH wanted AS MATERIALIZED ( \
           SELECT id, endpoint_id, event_id FROM webhook_deliveries WHERE id = ANY($1)), \
         leased AS ( \
           UPDATE webhook_deliveries d SET leased_until = $3 \
             FROM wanted w, webhook_endpoints ep, webhook_events ev \
            WHERE d.id = w.id AND d.status = 'PENDING' AND d.next_attempt_at <= $2 \
              AND (d.leased_until IS NULL OR d.leased_until <= $2) \
              AND ep.id = w.endpoint_id AND ep.enabled AND ep.deleted_at IS NULL \
              AND ev.id = w.event_id \
           RETURNING d.id, d.endpoint_id, ep.url, d.message_id, ev.body, d.attempts, ep.failing_since), \
         keys AS ( \
           SELECT s.endpoint_id, array_agg(s.secret ORDER BY s.id DESC) AS secrets \
             FROM webhook_secrets s \
            WHERE s.endpoint_id IN (SELECT endpoint_id FROM leased) \
              AND (s.expires_at IS NULL OR s.expires_at > $2) \
            GROUP BY s.endpoint_id) \
         SELECT l.*, coalesce(k.secrets, '{}') AS secrets \
           FROM leased l LEFT JOIN keys k ON k.endpoint_id = l.endpoint_id",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(lease_until)
    .load(conn)
    .await?;
    claimed.sort_by_key(|c| (c.endpoint_id, c.id));
    Ok(claimed)
}

/// Gives claimed deliveries back unattempted: due again at `due_at`, for
/// the sweep to hand to the queue (their endpoint had no room to send).
pub async fn release(
    conn: &mut AsyncPgConnection,
    ids: &[WebhookDeliveryId],
    due_at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    // By id first, as in `claim`.
    Ok(diesel::sql_query(
        "WITH wanted AS MATERIALIZED (SELECT id FROM webhook_deliveries WHERE id = ANY($1)) \
         UPDATE webhook_deliveries d SET next_attempt_at = $2, enqueued_at = NULL, leased_until = NULL \
           FROM wanted w WHERE d.id = w.id AND d.status = 'PENDING'",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Timestamptz, _>(due_at)
    .execute(conn)
    .await?)
}

/// One attempt's outcome, as recorded, and where its delivery stands after
/// it: `status`, with the next attempt at `next_attempt_at` when pending.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    pub delivery_id: WebhookDeliveryId,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    pub duration_ms: i32,
    pub status: WebhookDeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Records attempts and where their deliveries stand after them, in one
/// statement kept prepared whatever their number (the attempts as arrays:
/// an `INSERT ... VALUES` list has a text per row count, so each batch was
/// parsed and planned afresh). An attempt is written only for a delivery
/// the statement updated: what the foreign key to `webhook_deliveries`
/// checked before (migration `attempts_without_key_lock`).
pub async fn record_attempts(
    conn: &mut AsyncPgConnection,
    attempts: &[AttemptRecord<'_>],
) -> Result<(), StoreError> {
    use diesel::sql_types::Integer;
    if attempts.is_empty() {
        return Ok(());
    }
    let ids: Vec<WebhookDeliveryId> = attempts.iter().map(|a| a.delivery_id).collect();
    let at: Vec<DateTime<Utc>> = attempts.iter().map(|a| a.attempted_at).collect();
    let codes: Vec<Option<i32>> = attempts.iter().map(|a| a.status_code).collect();
    let errors: Vec<Option<&str>> = attempts.iter().map(|a| a.error).collect();
    let durations: Vec<i32> = attempts.iter().map(|a| a.duration_ms).collect();
    let statuses: Vec<WebhookDeliveryStatus> = attempts.iter().map(|a| a.status).collect();
    let next: Vec<Option<DateTime<Utc>>> = attempts.iter().map(|a| a.next_attempt_at).collect();
    prepared(
        diesel::sql_query(
            "WITH a AS ( \
               SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::int4[], $4::text[], \
                                    $5::int4[], $6::webhook_delivery_status[], $7::timestamptz[]) \
                        AS a(id, attempted_at, status_code, error, duration_ms, status, next)), \
             updated AS ( \
               UPDATE webhook_deliveries d \
                  SET status = a.status, attempts = d.attempts + 1, \
                      next_attempt_at = a.next, enqueued_at = NULL, leased_until = NULL \
                 FROM a WHERE d.id = a.id \
               RETURNING a.*) \
             INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms) \
             SELECT id, attempted_at, status_code, error, duration_ms FROM updated",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<Timestamptz>, _>(&at)
        .bind::<Array<Nullable<Integer>>, _>(&codes)
        .bind::<Array<Nullable<Text>>, _>(&errors)
        .bind::<Array<Integer>, _>(&durations)
        .bind::<Array<crate::schema::sql_types::WebhookDeliveryStatus>, _>(&statuses)
        .bind::<Array<Nullable<Timestamptz>>, _>(&next),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Notes whether the endpoint's latest attempts failed: `Some(since)`
/// starts its failing time at `since` unless it is already failing, None
/// ends it. Writes nothing when that changes nothing, so the attempts of a
/// healthy (or a dead) endpoint do not all queue on its row.
pub async fn note_failing(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    since: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let target = webhook_endpoints::table.find(id);
    match since {
        Some(since) => {
            diesel::update(target.filter(webhook_endpoints::failing_since.is_null()))
                .set(webhook_endpoints::failing_since.eq(since))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(target.filter(webhook_endpoints::failing_since.is_not_null()))
                .set(webhook_endpoints::failing_since.eq(None::<DateTime<Utc>>))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// Deliveries due at `now` that were not handed to the queue since
/// `enqueued_before`, oldest due first, at most `limit`, marked handed over
/// at `now` and locked: call in the transaction that pushes them (a failed
/// push rolls the marks back; a concurrent sweep skips the locked rows).
pub async fn take_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    enqueued_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<WebhookDeliveryId>, StoreError> {
    let rows: Vec<DeliveryIdRow> = diesel::sql_query(
        "UPDATE webhook_deliveries SET enqueued_at = $1 WHERE id IN ( \
           SELECT id FROM webhook_deliveries \
            WHERE status = 'PENDING' AND next_attempt_at <= $1 \
              AND (enqueued_at IS NULL OR enqueued_at < $2) \
              AND (leased_until IS NULL OR leased_until <= $1) \
            ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(enqueued_before)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The endpoint's messages newest first, with ids below `before`, of
/// `status` if given; at most `limit`.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    endpoint: WebhookEndpointId,
    status: Option<WebhookDeliveryStatus>,
    before: Option<WebhookDeliveryId>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT d.id, d.message_id, ev.event_type, d.status, ev.body, d.created_at, d.next_attempt_at \
           FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
          WHERE d.endpoint_id = $1 AND ($2::webhook_delivery_status IS NULL OR d.status = $2) \
            AND ($3::bigint IS NULL OR d.id < $3) \
          ORDER BY d.id DESC LIMIT $4",
    )
    .bind::<BigInt, _>(endpoint)
    .bind::<Nullable<crate::schema::sql_types::WebhookDeliveryStatus>, _>(status)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// The attempts of `deliveries`, oldest first.
pub async fn attempts_of(
    conn: &mut AsyncPgConnection,
    deliveries: &[WebhookDeliveryId],
) -> Result<Vec<AttemptRow>, StoreError> {
    Ok(webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(deliveries))
        .order((webhook_attempts::delivery_id, webhook_attempts::id))
        .select(AttemptRow::as_select())
        .load(conn)
        .await?)
}

/// The delivery whose `webhook-id` is `message_id`, as shown, if it exists.
pub async fn delivery(
    conn: &mut AsyncPgConnection,
    message_id: &str,
) -> Result<Option<(WebhookEndpointId, DeliveryRow)>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        endpoint_id: WebhookEndpointId,
        #[diesel(embed)]
        delivery: DeliveryRow,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT d.endpoint_id, d.id, d.message_id, ev.event_type, d.status, ev.body, d.created_at, \
                d.next_attempt_at \
           FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id WHERE d.message_id = $1",
    )
    .bind::<Text, _>(message_id)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| (r.endpoint_id, r.delivery)))
}

/// Makes the delivery due again at `now` (a replay: one more attempt,
/// whatever its status).
pub async fn make_due(
    conn: &mut AsyncPgConnection,
    id: WebhookDeliveryId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(WebhookDeliveryStatus::Pending),
            webhook_deliveries::next_attempt_at.eq(now),
            webhook_deliveries::enqueued_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?
        == 1)
}

#[derive(QueryableByName)]
struct ZoneRow {
    #[diesel(sql_type = Text)]
    time_zone: String,
}

/// The zones of live users, each once (a skip scan of
/// `users_live_time_zone`: one index probe per zone, not per user).
pub async fn zones_in_use(conn: &mut AsyncPgConnection) -> Result<Vec<String>, StoreError> {
    let rows: Vec<ZoneRow> = prepared(diesel::sql_query(
        "WITH RECURSIVE z(time_zone) AS ( \
           (SELECT time_zone FROM users WHERE deleted_at IS NULL ORDER BY time_zone LIMIT 1) \
           UNION ALL \
           SELECT (SELECT u.time_zone FROM users u WHERE u.deleted_at IS NULL AND u.time_zone > z.time_zone \
                    ORDER BY u.time_zone LIMIT 1) FROM z WHERE z.time_zone IS NOT NULL) \
         SELECT time_zone FROM z WHERE time_zone IS NOT NULL",
    ))
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.time_zone).collect())
}

#[derive(QueryableByName)]
struct UserIdRow {
    #[diesel(sql_type = BigInt)]
    user_id: UserId,
}

/// Live users of `zone` whose latest sign-in (or make-up) up to `today` is
/// on `date`, and who have no reminder of `kind` for `today` yet; at most
/// `limit`, by id after `after` (a range of `sign_ins_day_user_idx`).
///
/// Latest, not merely on `date`: a user who also signed a later date is
/// neither at risk nor lost through `date` (signed today: neither; signed
/// yesterday: not lost; signed a date between: that date's own candidate).
/// The sweep runs every minute and writes nothing for a user the rules
/// pass over, so a candidate the rules always pass over was read again
/// every minute all day: with "signed `date`, not today", the `streak.lost`
/// sweep read the chain of every user who signed two days before and
/// yesterday (bench/peer.sh: 100,000 chains, about 5 s of PostgreSQL's
/// CPU, each minute).
///
/// The two `NOT EXISTS` end in `OFFSET 0` so that PostgreSQL keeps them as
/// one index probe per candidate (its `simplify_EXISTS_query` does not turn
/// a subquery with an offset into an anti-join): as an anti-join, planned
/// on the statistics of a table the sweep itself is filling, it became a
/// nested loop over every reminder of the date for each candidate (5 s a
/// page at 60,000 reminders, `docs/performance.md`). `u.id > $5` lets a
/// merge join with `users` start at the page.
pub async fn reminder_candidates(
    conn: &mut AsyncPgConnection,
    zone: &str,
    date: chrono::NaiveDate,
    kind: WebhookEventType,
    today: chrono::NaiveDate,
    after: UserId,
    limit: i64,
) -> Result<Vec<UserId>, StoreError> {
    let rows: Vec<UserIdRow> = prepared(
        diesel::sql_query(
            "SELECT s.user_id FROM sign_ins s \
               JOIN users u ON u.id = s.user_id AND u.id > $5 \
                           AND u.deleted_at IS NULL AND u.time_zone = $1 \
              WHERE s.day = $2 AND s.user_id > $5 \
                AND NOT EXISTS (SELECT 1 FROM sign_ins t \
                                 WHERE t.user_id = s.user_id AND t.day > $2 AND t.day <= $3 OFFSET 0) \
                AND NOT EXISTS (SELECT 1 FROM streak_reminders r \
                                 WHERE r.user_id = s.user_id AND r.kind = $4::webhook_event_type \
                                   AND r.day = $3 OFFSET 0) \
              ORDER BY s.user_id LIMIT $6",
        )
        .bind::<Text, _>(zone)
        .bind::<diesel::sql_types::Date, _>(date)
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<Text, _>(kind.db_name())
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// Records reminders of `kind` for `day` for `users` (those already
/// reminded are skipped: the key decides); answers who was recorded now.
///
/// The keys are written in user order, whatever the order of `users`: the
/// sweeps of several workers race over the same users, and a key written
/// and not yet committed makes another transaction writing it wait, so two
/// sweeps writing overlapping users in different orders deadlocked
/// (`webhooks::sweeps_at_once_remind_each_user_once`: the sweep handed
/// its users over in a hash map's order).
pub async fn claim_reminders(
    conn: &mut AsyncPgConnection,
    users: &[UserId],
    kind: WebhookEventType,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<UserId>, StoreError> {
    let rows: Vec<UserIdRow> = prepared(
        diesel::sql_query(
            "INSERT INTO streak_reminders (user_id, kind, day, created_at) \
             SELECT u, $2::webhook_event_type, $3, $4 FROM unnest($1::bigint[]) AS u ORDER BY u \
             ON CONFLICT DO NOTHING RETURNING user_id",
        )
        .bind::<Array<BigInt>, _>(users)
        .bind::<Text, _>(kind.db_name())
        .bind::<diesel::sql_types::Date, _>(day)
        .bind::<Timestamptz, _>(now),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_prints_without_its_secrets() {
        let claimed = Claimed {
            id: WebhookDeliveryId(7),
            endpoint_id: WebhookEndpointId(3),
            url: "https://hooks.example.com/in".into(),
            message_id: "msg_1".into(),
            body: "{}".into(),
            attempts: 0,
            failing_since: None,
            secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
        };
        let printed = format!("{claimed:?}");
        assert!(!printed.contains("whsec_"), "{printed}");
        assert!(printed.contains("secrets: 1"), "{printed}");
    }
}
