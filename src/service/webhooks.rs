//! Webhooks (contract, "Webhooks and streak reminders"): the admin's use
//! cases for endpoints (each audited in its transaction), the events the
//! changes record in their own transactions ([`Events`]), the delivery
//! attempts ([`start_attempts`], [`attempt_many`]) and the sweep that finds
//! due ones ([`enqueue_due`]). The rules are `domain::webhook`'s.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rand::Rng;
use serde_json::{json, Value};

use super::admin_audit::{details, AdminActor};
use super::{page, Input, Page, ServiceError};
use crate::after_commit::Committed;
use crate::domain::webhook::{self as rules, Verdict};
use crate::model::{
    AdminAction, AttemptRow, DeliveryRow, EndpointRow, LedgerEntry, UserId, WebhookDeliveryId,
    WebhookDeliveryStatus, WebhookEndpointId, WebhookEventType,
};
use crate::state::AppState;
use crate::store::sign_ins::NewSignIn;
use crate::store::webhooks::{
    self as store, AttemptRecord, Claimed, EndpointChanges, NewEndpoint, NewEvent,
};
use crate::store::{admin_audit, StoreError};
use crate::webhook_client::{Answer, Message, Reserved};

/// How long a rotated-out secret keeps signing beside the new one.
pub const OLD_SECRET_SIGNS_FOR: TimeDelta = TimeDelta::hours(24);
/// Most messages a sweep hands to the queue at once.
const SWEEP_BATCH: i64 = 500;
/// A message handed to the queue and not attempted within this is handed
/// over again (its job was lost: Redis down, a worker died).
const REQUEUE_AFTER: TimeDelta = TimeDelta::seconds(60);

fn url_input(error: rules::UrlError) -> ServiceError {
    ServiceError::bad_input(Input::Url, error.to_string())
}

fn endpoint_input(error: rules::EndpointInputError) -> ServiceError {
    let input = match error {
        rules::EndpointInputError::NoEvents => Input::Events,
        _ => Input::Description,
    };
    ServiceError::bad_input(input, error.to_string())
}

fn production(state: &AppState) -> bool {
    state.config.environment == crate::config::Environment::Production
}

/// A new signing secret (`whsec_` and 32 random bytes in base64).
fn new_secret() -> String {
    let mut bytes = [0u8; rules::SECRET_BYTES];
    rand::rng().fill(&mut bytes);
    rules::new_secret(&bytes)
}

/// A key unique to one event: the time in milliseconds (12 hex digits),
/// then 80 random bits (20), so the unique index on it grows at its right
/// edge (see the migration `webhook_write_path`).
fn new_event_key() -> String {
    let millis = Utc::now().timestamp_millis().max(0);
    let random = rand::rng().random::<u128>() & ((1u128 << 80) - 1);
    format!("{millis:012x}{random:020x}")
}

/// The arguments of an endpoint change, for its audit entry (never the
/// secret).
fn audit_details(
    url: Option<&str>,
    events: Option<&[WebhookEventType]>,
    enabled: Option<bool>,
    description: Option<&str>,
) -> serde_json::Map<String, Value> {
    let mut d = serde_json::Map::new();
    if let Some(url) = url {
        d.insert("url".into(), Value::from(url));
    }
    if let Some(events) = events {
        d.insert(
            "events".into(),
            Value::from(events.iter().map(|e| e.db_name()).collect::<Vec<_>>()),
        );
    }
    if let Some(enabled) = enabled {
        d.insert("enabled".into(), Value::from(enabled));
    }
    if let Some(description) = description {
        d.insert("description".into(), Value::from(description));
    }
    d
}

/// Creates an endpoint (`createWebhookEndpoint`) and answers it with its
/// signing secret, which is shown this once. Errors: `BadInput` naming
/// `url`, `events` or `description`.
pub async fn create(
    state: &AppState,
    actor: &AdminActor,
    url: &str,
    events: &[WebhookEventType],
    description: &str,
) -> Result<(EndpointRow, String), ServiceError> {
    let url = rules::validate_url(url, production(state)).map_err(url_input)?;
    let events = rules::validate_events(events).map_err(endpoint_input)?;
    rules::validate_description(description).map_err(endpoint_input)?;
    let secret = new_secret();
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let row = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            let row = store::create(
                conn,
                &NewEndpoint {
                    url: url.as_str(),
                    events: &events,
                    description,
                    created_at: now,
                    created_by: actor.user_id,
                },
                &secret,
            )
            .await?;
            let mut d = audit_details(Some(url.as_str()), Some(&events), None, Some(description));
            d.insert("id".into(), Value::from(row.id.to_string()));
            admin_audit::append(
                conn,
                actor.entry(AdminAction::CreateWebhookEndpoint, None, d, now),
            )
            .await?;
            Ok(row)
        })
        .await?;
    tracing::info!(endpoint = %row.id, url = %row.url, "webhook endpoint created");
    Ok((row, secret))
}

/// What `updateWebhookEndpoint` changes (None: stays).
#[derive(Debug, Clone, Default)]
pub struct Update<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [WebhookEventType]>,
    pub enabled: Option<bool>,
    pub description: Option<&'a str>,
}

/// Changes an endpoint (`updateWebhookEndpoint`). Enabling one the service
/// disabled starts its failures afresh. Errors: `NotFound`, `BadInput`.
pub async fn update(
    state: &AppState,
    actor: &AdminActor,
    id: WebhookEndpointId,
    update: Update<'_>,
) -> Result<EndpointRow, ServiceError> {
    let url = update
        .url
        .map(|u| rules::validate_url(u, production(state)).map_err(url_input))
        .transpose()?;
    let events = update
        .events
        .map(|e| rules::validate_events(e).map_err(endpoint_input))
        .transpose()?;
    if let Some(description) = update.description {
        rules::validate_description(description).map_err(endpoint_input)?;
    }
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    conn.transaction::<_, ServiceError, _>(async |conn| {
        store::find(conn, id, true)
            .await?
            .ok_or(ServiceError::NotFound("webhook endpoint"))?;
        let changes = EndpointChanges {
            url: url.as_ref().map(|u| u.as_str()),
            events: events.as_deref(),
            description: update.description,
            enabled: update.enabled,
            disabled_reason: update.enabled.filter(|e| *e).map(|_| None),
            failing_since: update.enabled.filter(|e| *e).map(|_| None),
        };
        let row = store::update(conn, id, &changes)
            .await?
            .ok_or(ServiceError::NotFound("webhook endpoint"))?;
        if update.enabled == Some(false) {
            store::fail_pending(conn, id).await?;
        }
        let mut d = audit_details(
            url.as_ref().map(|u| u.as_str()),
            events.as_deref(),
            update.enabled,
            update.description,
        );
        d.insert("id".into(), Value::from(id.to_string()));
        admin_audit::append(
            conn,
            actor.entry(AdminAction::UpdateWebhookEndpoint, None, d, now),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// A new signing secret for the endpoint (`rotateWebhookSecret`); the old
/// ones keep signing beside it for [`OLD_SECRET_SIGNS_FOR`].
pub async fn rotate(
    state: &AppState,
    actor: &AdminActor,
    id: WebhookEndpointId,
) -> Result<(EndpointRow, String), ServiceError> {
    let secret = new_secret();
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let row = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            let row = store::find(conn, id, true)
                .await?
                .ok_or(ServiceError::NotFound("webhook endpoint"))?;
            store::expire_secrets(conn, id, now + OLD_SECRET_SIGNS_FOR).await?;
            store::add_secret(conn, id, &secret, now).await?;
            admin_audit::append(
                conn,
                actor.entry(
                    AdminAction::RotateWebhookSecret,
                    None,
                    details([("id", Value::from(id.to_string()))]),
                    now,
                ),
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok((row, secret))
}

/// Deletes the endpoint (`deleteWebhookEndpoint`): nothing is sent to it
/// again. `NotFound` for an unknown (or already deleted) id.
pub async fn delete(
    state: &AppState,
    actor: &AdminActor,
    id: WebhookEndpointId,
) -> Result<bool, ServiceError> {
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    conn.transaction::<_, ServiceError, _>(async |conn| {
        if !store::delete(conn, id, now).await? {
            return Err(ServiceError::NotFound("webhook endpoint"));
        }
        admin_audit::append(
            conn,
            actor.entry(
                AdminAction::DeleteWebhookEndpoint,
                None,
                details([("id", Value::from(id.to_string()))]),
                now,
            ),
        )
        .await?;
        Ok(true)
    })
    .await
}

/// Every endpoint (`webhookEndpoints`), oldest first.
pub async fn endpoints(state: &AppState) -> Result<Vec<EndpointRow>, ServiceError> {
    let mut conn = state.db().await?;
    Ok(store::all(&mut conn).await?)
}

/// A message with its attempts, oldest first.
pub type DeliveryWithAttempts = (DeliveryRow, Vec<AttemptRow>);

/// A page of the endpoint's messages, newest first (`webhookDeliveries`).
pub async fn deliveries(
    state: &AppState,
    endpoint: WebhookEndpointId,
    status: Option<WebhookDeliveryStatus>,
    first: i64,
    after: Option<WebhookDeliveryId>,
) -> Result<Page<DeliveryWithAttempts>, ServiceError> {
    let mut conn = state.db().await?;
    if store::find(&mut conn, endpoint, false).await?.is_none() {
        return Err(ServiceError::NotFound("webhook endpoint"));
    }
    let fetched =
        store::deliveries(&mut conn, endpoint, status, after, page::fetch_limit(first)).await?;
    let page = Page::from_fetched(fetched, first);
    let ids: Vec<WebhookDeliveryId> = page.rows.iter().map(|d| d.id).collect();
    let mut attempts = store::attempts_of(&mut conn, &ids).await?;
    Ok(Page {
        has_next: page.has_next,
        rows: page
            .rows
            .into_iter()
            .map(|d| {
                let mine: Vec<AttemptRow> =
                    attempts.extract_if(.., |a| a.delivery_id == d.id).collect();
                (d, mine)
            })
            .collect(),
    })
}

/// Sends the message whose `webhook-id` is `message_id` again as a new
/// attempt (`replayWebhookDelivery`), whatever its status, if its endpoint
/// is enabled; answers it as it is now (the attempt follows on the
/// workers).
pub async fn replay(
    state: &AppState,
    message_id: &str,
) -> Result<DeliveryWithAttempts, ServiceError> {
    if message_id.len() > 64 || crate::domain::text::check_line(message_id).is_err() {
        return Err(ServiceError::bad_input(
            Input::Delivery,
            "is not a webhook-id (msg_ and letters and digits)",
        ));
    }
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let Some((endpoint, found)) = store::delivery(&mut conn, message_id).await? else {
        return Err(ServiceError::NotFound("webhook delivery"));
    };
    let id = found.id;
    let live = store::find(&mut conn, endpoint, false).await?;
    if !live.is_some_and(|e| e.enabled) {
        return Err(ServiceError::bad_input(
            Input::Delivery,
            "its endpoint is disabled or deleted: enable it first",
        ));
    }
    store::make_due(&mut conn, id, now).await?;
    let (_, row) = store::delivery(&mut conn, message_id)
        .await?
        .ok_or(ServiceError::NotFound("webhook delivery"))?;
    let attempts = store::attempts_of(&mut conn, &[id]).await?;
    drop(conn);
    state
        .after_commit
        .hand_over(Committed::default().webhooks_due(vec![id]))
        .await;
    Ok((row, attempts))
}

/// The events one change records, built by the use case and written in
/// its transaction with [`Events::record`].
#[derive(Debug, Default)]
pub struct Events(Vec<NewEvent>);

impl Events {
    fn push(&mut self, event_type: WebhookEventType, user_id: UserId, data: Value) {
        self.0.push(NewEvent {
            key: new_event_key(),
            event_type,
            user_id,
            data: data.to_string(),
        });
    }

    /// `sign_in.recorded`: the record of a `signIn` being written.
    pub fn sign_in_recorded(&mut self, row: &NewSignIn) {
        self.push(
            WebhookEventType::SignInRecorded,
            row.user_id,
            json!({
                "date": row.day.to_string(),
                "cycleDay": row.cycle_day,
                "streak": row.streak,
                "reward": row.reward,
                "milestoneBonus": row.milestone_bonus,
            }),
        );
    }

    /// `milestone.reached`: a `signIn` reached the streak of a milestone.
    pub fn milestone_reached(&mut self, row: &NewSignIn, bonus: i64) {
        self.push(
            WebhookEventType::MilestoneReached,
            row.user_id,
            json!({ "date": row.day.to_string(), "streak": row.streak, "bonus": bonus }),
        );
    }

    /// `streak.freeze_used`: a `signIn` covered `dates` with freezes.
    pub fn freezes_used(
        &mut self,
        user_id: UserId,
        dates: &[chrono::NaiveDate],
        freezes_held: u16,
    ) {
        self.push(
            WebhookEventType::StreakFreezeUsed,
            user_id,
            json!({
                "dates": dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "freezesHeld": freezes_held,
            }),
        );
    }

    /// `reward.credited`: a reward or milestone bonus reached the wallet.
    pub fn reward_credited(&mut self, entry: &LedgerEntry) {
        self.push(
            WebhookEventType::RewardCredited,
            entry.user_id,
            json!({
                "transaction": {
                    "id": entry.id.0.to_string(),
                    "amount": entry.amount,
                    "kind": entry.kind,
                    "balanceAfter": entry.balance_after,
                    "signInId": entry.sign_in_id.map(|s| s.0.to_string()),
                    "createdAt": entry.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                }
            }),
        );
    }

    /// A streak reminder (`streak.at_risk` or `streak.lost`) with its `data`.
    pub fn reminder(&mut self, kind: WebhookEventType, user_id: UserId, data: Value) {
        self.push(kind, user_id, data);
    }

    /// The events, for a statement that writes them with its change
    /// (`store::sign_ins::insert_with_events`).
    pub fn as_slice(&self) -> &[NewEvent] {
        &self.0
    }

    /// Writes the events (one statement; none when no endpoint wants them)
    /// on `conn`, in the change's transaction; answers the deliveries due,
    /// for the after-commit hand-over.
    pub async fn record(
        self,
        conn: &mut AsyncPgConnection,
        now: DateTime<Utc>,
    ) -> Result<Vec<WebhookDeliveryId>, StoreError> {
        store::record_events(conn, &self.0, now).await
    }
}

/// Hands the deliveries due now that are not in the queue to it (the
/// backstop of the after-commit push, and how retries come back): takes
/// them (locked, so concurrent sweeps do not both push them), pushes them,
/// and marks them handed over in the same transaction, so a push that
/// fails (Redis away) leaves them due for the next sweep. Answers how many.
pub async fn enqueue_due(state: &AppState) -> Result<usize, ServiceError> {
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    conn.transaction::<_, ServiceError, _>(async |conn| {
        let due = store::take_due(conn, now, now - REQUEUE_AFTER, SWEEP_BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let count = due.len();
        state
            .webhook_queue
            .push(due)
            .await
            .map_err(|e| ServiceError::Unavailable(super::Unavailable::Queue(e)))?;
        Ok(count)
    })
    .await
}

/// A delivery whose endpoint had no room among the sends in flight is
/// handed to the queue again after this (by the sweep).
const NO_ROOM_WAIT: TimeDelta = TimeDelta::seconds(2);

/// One endpoint's claimed deliveries, with the secrets that sign them.
struct EndpointBatch {
    endpoint_id: WebhookEndpointId,
    secrets: Vec<String>,
    deliveries: Vec<Claimed>,
}

/// Claims the deliveries `ids` that are due at `now` and whose endpoint
/// is enabled (see `store::webhooks::claim`), by endpoint.
async fn claim(
    state: &AppState,
    ids: &[WebhookDeliveryId],
    now: DateTime<Utc>,
) -> Result<Vec<EndpointBatch>, ServiceError> {
    let lease = TimeDelta::from_std(crate::webhook_client::lease(state.config.webhook_timeout))
        .unwrap_or(TimeDelta::minutes(30));
    let mut conn = state.db().await?;
    let claimed = store::claim(&mut conn, ids, now, now + lease).await?;
    let mut batches: Vec<EndpointBatch> = Vec::new();
    for mut delivery in claimed {
        match batches.last_mut() {
            Some(batch) if batch.endpoint_id == delivery.endpoint_id => {
                batch.deliveries.push(delivery)
            }
            _ => batches.push(EndpointBatch {
                endpoint_id: delivery.endpoint_id,
                secrets: std::mem::take(&mut delivery.secrets),
                deliveries: vec![delivery],
            }),
        }
    }
    Ok(batches)
}

/// Attempts the delivery `id` if it is due and its endpoint enabled, and
/// waits for it to be recorded; see [`attempt_many`].
pub async fn attempt(state: &AppState, id: WebhookDeliveryId) -> Result<(), ServiceError> {
    attempt_many(state, &[id]).await
}

/// Attempts the deliveries `ids` that are due and whose endpoint is
/// enabled, and waits until every attempt is recorded (each endpoint's
/// together: [`send_and_record`]). Nothing limits how many are sent at
/// once: the worker uses [`start_attempts`].
pub async fn attempt_many(state: &AppState, ids: &[WebhookDeliveryId]) -> Result<(), ServiceError> {
    let now = state.calendar.now();
    let batches = claim(state, ids, now).await?;
    let recorded = futures::future::join_all(
        batches
            .into_iter()
            .map(|batch| send_and_record(state, batch, None, now)),
    )
    .await;
    recorded.into_iter().collect()
}

/// The worker's way to attempt the deliveries `ids` (a queued batch):
/// claims those due; for each endpoint reserves room among the messages
/// the process holds (`webhook_client::SendLimits`: a slow endpoint fills
/// only its own share), starts its sends on a task of their own and goes
/// on without waiting for them, so a slow endpoint holds up neither the
/// queue nor another endpoint. The deliveries whose endpoint had no room
/// are given back, due again in [`NO_ROOM_WAIT`]. Answers how many were
/// started.
pub async fn start_attempts(
    state: &Arc<AppState>,
    ids: &[WebhookDeliveryId],
) -> Result<usize, ServiceError> {
    let now = state.calendar.now();
    let limits = state.webhook_client.limits();
    let mut no_room = Vec::new();
    let mut started = 0;
    for mut batch in claim(state, ids, now).await? {
        let reserved = limits
            .reserve(batch.endpoint_id, batch.deliveries.len())
            .await;
        let room = reserved.as_ref().map_or(0, |r| r.count);
        no_room.extend(batch.deliveries.drain(room..).map(|d| d.id));
        if let Some(reserved) = reserved {
            started += room;
            let state = state.clone();
            limits.spawn(async move {
                let endpoint = batch.endpoint_id;
                if let Err(error) = send_and_record(&state, batch, Some(&reserved), now).await {
                    tracing::warn!(%endpoint, %error, "webhook attempts not recorded; the sweep retries them");
                }
            });
        }
    }
    if !no_room.is_empty() {
        metrics::counter!("signin_webhook_no_room_total").increment(no_room.len() as u64);
        let mut conn = state.db().await?;
        store::release(&mut conn, &no_room, now + NO_ROOM_WAIT).await?;
    }
    Ok(started)
}

/// Signs and POSTs one claimed delivery (claimed at `now`).
async fn send(
    state: &AppState,
    secrets: &[String],
    claimed: &Claimed,
    now: DateTime<Utc>,
) -> Answer {
    let timestamp = now.timestamp();
    let signature = rules::signature_header(
        secrets.iter().map(String::as_str),
        &claimed.message_id,
        timestamp,
        claimed.body.as_bytes(),
    );
    // The URL is checked again: an address literal refused in production
    // now (the resolver checks names at connection time).
    match rules::validate_url(&claimed.url, production(state)) {
        Ok(_) => {
            state
                .webhook_client
                .send(&Message {
                    url: &claimed.url,
                    id: &claimed.message_id,
                    timestamp,
                    signature: &signature,
                    body: &claimed.body,
                })
                .await
        }
        Err(error) => Answer {
            status: None,
            retry_after: None,
            error: Some(format!("url refused: {error}")),
            duration: Duration::ZERO,
        },
    }
}

/// Sends one endpoint's claimed deliveries (at once, or taking turns under
/// `reserved`: at most `MAX_SENDS_PER_ENDPOINT` at once; each signed with every
/// live secret of the endpoint) and records, in one transaction, every
/// attempt and what follows: delivered; the next attempt on the schedule
/// (or at a `Retry-After`); failed after the last; the endpoint's failing
/// time started or ended; the endpoint disabled on `410 Gone` or when
/// nothing was delivered for five days (with an audit entry and a warning).
async fn send_and_record(
    state: &AppState,
    batch: EndpointBatch,
    reserved: Option<&Reserved>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let answers = futures::future::join_all(batch.deliveries.iter().map(|claimed| async {
        let _turn = match reserved {
            Some(reserved) => reserved.turn().await,
            None => None,
        };
        send(state, &batch.secrets, claimed, now).await
    }))
    .await;
    let done_at = state.calendar.now();
    // The endpoint's failing time as the claim read it.
    let was_failing_since = batch.deliveries.first().and_then(|d| d.failing_since);
    let failing_since = was_failing_since.unwrap_or(now);
    let mut records = Vec::with_capacity(answers.len());
    let mut delivered_any = false;
    let mut gone = false;
    for (claimed, answer) in batch.deliveries.iter().zip(&answers) {
        let retry_after = answer
            .retry_after
            .as_deref()
            .and_then(|v| rules::parse_retry_after(v, done_at));
        let verdict = rules::verdict(answer.status, retry_after);
        let attempts_made = u32::try_from(claimed.attempts)
            .unwrap_or(0)
            .saturating_add(1);
        let (status, next) = match verdict {
            Verdict::Delivered => (WebhookDeliveryStatus::Delivered, None),
            Verdict::Gone => (WebhookDeliveryStatus::Failed, None),
            Verdict::Retry { not_before } => {
                let jitter: f64 = rand::rng().random();
                match rules::retry_delay(attempts_made, jitter) {
                    Some(delay) => {
                        let delay = not_before.map_or(delay, |asked| asked.max(delay));
                        let next =
                            done_at + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(10));
                        (WebhookDeliveryStatus::Pending, Some(next))
                    }
                    None => (WebhookDeliveryStatus::Failed, None),
                }
            }
        };
        let outcome = match verdict {
            Verdict::Delivered => "delivered",
            Verdict::Gone => "gone",
            Verdict::Retry { .. } => "failed",
        };
        delivered_any |= verdict == Verdict::Delivered;
        gone |= verdict == Verdict::Gone;
        metrics::counter!("signin_webhook_attempts_total", "outcome" => outcome).increment(1);
        metrics::histogram!("signin_webhook_attempt_seconds").record(answer.duration.as_secs_f64());
        records.push(AttemptRecord {
            delivery_id: claimed.id,
            attempted_at: now,
            status_code: answer.status.map(i32::from),
            error: answer.error.as_deref(),
            duration_ms: i32::try_from(answer.duration.as_millis()).unwrap_or(i32::MAX),
            status,
            next_attempt_at: next,
        });
    }
    let disable = if gone {
        Some("the endpoint answered 410 Gone")
    } else if !delivered_any && rules::failing_too_long(Some(failing_since), done_at) {
        Some("every attempt failed for 5 days")
    } else {
        None
    };
    let endpoint_id = batch.endpoint_id;
    // Only a change of health is written (no statement at all when the
    // claim saw it already so); `note_failing` checks again, as another
    // worker may have changed it since.
    let health_changed = delivered_any == was_failing_since.is_some();
    let mut conn = state.db().await?;
    if !health_changed && disable.is_none() {
        // The common case, a healthy endpoint's attempts: one statement,
        // atomic by itself, so no BEGIN and COMMIT around it (two round
        // trips fewer per endpoint and batch; a sign-in's messages are
        // one batch).
        store::record_attempts(&mut conn, &records).await?;
        return Ok(());
    }
    conn.transaction::<_, ServiceError, _>(async |conn| {
        store::record_attempts(conn, &records).await?;
        if health_changed {
            store::note_failing(conn, endpoint_id, (!delivered_any).then_some(failing_since))
                .await?;
        }
        if let Some(reason) = disable {
            let changes = EndpointChanges {
                enabled: Some(false),
                disabled_reason: Some(Some(reason)),
                ..EndpointChanges::default()
            };
            store::update(conn, endpoint_id, &changes).await?;
            store::fail_pending(conn, endpoint_id).await?;
            admin_audit::append(
                conn,
                AdminActor::command_line().entry(
                    AdminAction::UpdateWebhookEndpoint,
                    None,
                    details([
                        ("id", Value::from(endpoint_id.to_string())),
                        ("enabled", Value::from(false)),
                        ("reason", Value::from(reason)),
                    ]),
                    done_at,
                ),
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    if let Some(reason) = disable {
        let url = batch
            .deliveries
            .first()
            .map(|d| d.url.as_str())
            .unwrap_or_default();
        tracing::warn!(endpoint = %endpoint_id, url, reason, "webhook endpoint disabled");
        metrics::counter!("signin_webhook_endpoints_disabled_total").increment(1);
    }
    Ok(())
}
