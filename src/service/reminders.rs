//! Streak reminders (contract, "Webhooks and streak reminders"): a sweep,
//! run every minute by each worker process, that visits every zone in use
//! and, in each, finds the users whose streak is at risk once
//! `SIGNIN_REMINDER_LOCAL_TIME` has passed on their today (`streak.at_risk`)
//! and those whose streak the midnight that began their today broke
//! (`streak.lost`). Candidates come from the few dates that matter (whose
//! latest sign-in is yesterday, or a day before within the freezes a user
//! may hold), never from reading every user; the rules are
//! `domain::streak::reminder`'s, on the chain as it is now. At most one of
//! each kind per user and date, whatever the workers and restarts: the
//! reminder's key (`streak_reminders`) decides, in the transaction that
//! writes its webhook event.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel_async::AsyncConnection;
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::json;

use super::webhooks::Events;
use super::{streak, ServiceError};
use crate::after_commit::Committed;
use crate::domain::streak::{day, reminder};
use crate::model::{UserId, WebhookEventType};
use crate::state::AppState;
use crate::store::webhooks as store;

/// Users read (chains loaded) at a time.
const BATCH: i64 = 1000;

/// One sweep at the service clock's now; answers how many reminders were
/// written. Nothing when `SIGNIN_REMINDER_LOCAL_TIME` is empty.
///
/// A kind is swept only while an enabled endpoint subscribes to it: its
/// events would go nowhere ("each goes to every enabled endpoint
/// subscribed to its type at the time"), and its pass reads thousands of
/// chains a minute. A user not reminded for want of a subscriber is a
/// candidate still, so an endpoint subscribed later in the day gets the
/// day's reminders from the next sweep.
pub async fn sweep(state: &AppState) -> Result<usize, ServiceError> {
    let Some(at) = state.config.reminder_local_time else {
        return Ok(0);
    };
    let now = state.calendar.now();
    let (zones, lost, at_risk) = {
        let mut conn = state.db().await?;
        let kinds = [WebhookEventType::StreakLost, WebhookEventType::StreakAtRisk];
        let subscribed = store::subscribed(&mut conn, &kinds).await?;
        if subscribed.is_empty() {
            return Ok(0);
        }
        let lost = subscribed.contains(&WebhookEventType::StreakLost);
        let at_risk = subscribed.contains(&WebhookEventType::StreakAtRisk);
        (store::zones_in_use(&mut conn).await?, lost, at_risk)
    };
    let mut written = 0;
    for name in zones {
        let Ok(zone) = day::parse_zone(&name) else {
            continue;
        };
        let local = now.with_timezone(&zone);
        let today = local.date_naive();
        if lost {
            written +=
                sweep_zone(state, &name, zone, today, now, WebhookEventType::StreakLost).await?;
        }
        if at_risk && local.time() >= at {
            written += sweep_zone(
                state,
                &name,
                zone,
                today,
                now,
                WebhookEventType::StreakAtRisk,
            )
            .await?;
        }
    }
    Ok(written)
}

/// The dates whose sign-ins make a user a candidate for `kind` on `today`:
/// yesterday (at risk) or the day before (lost), and as many dates before
/// as a user may hold freezes (a run they cover may end there).
fn candidate_dates(state: &AppState, today: NaiveDate, kind: WebhookEventType) -> Vec<NaiveDate> {
    let back = match kind {
        WebhookEventType::StreakLost => 2,
        _ => 1,
    };
    (0..=u64::from(state.config.protection.max_freezes))
        .filter_map(|k| today.checked_sub_days(Days::new(back + k)))
        .collect()
}

async fn sweep_zone(
    state: &AppState,
    zone_name: &str,
    zone: Tz,
    today: NaiveDate,
    now: DateTime<Utc>,
    kind: WebhookEventType,
) -> Result<usize, ServiceError> {
    let mut written = 0;
    for date in candidate_dates(state, today, kind) {
        written += sweep_date(state, zone_name, zone, today, date, now, kind).await?;
    }
    Ok(written)
}

/// Pages of users a sweep works on at once, each on its own connection:
/// while one page's chains are read, another's reminders are written
/// (bench/reminders.sh: a sweep is a chain of short statements on one
/// connection, so one page at a time leaves the other core idle). Pages
/// hold different users, so their writes never wait for each other.
const PAGES_AT_ONCE: usize = 2;

/// [`sweep_zone`] for the users whose latest sign-in is on `date`
/// (`store::webhooks::reminder_candidates`), by pages: the candidates are
/// read in user order one page after another (each page starts after the
/// last user of the one before), and up to [`PAGES_AT_ONCE`] pages are
/// worked on at once.
async fn sweep_date(
    state: &AppState,
    zone_name: &str,
    zone: Tz,
    today: NaiveDate,
    date: NaiveDate,
    now: DateTime<Utc>,
    kind: WebhookEventType,
) -> Result<usize, ServiceError> {
    // Each page's candidates start after the last user of the page before;
    // a short page is the last. (A loop rather than a stream of pages: a
    // closure returning a future that borrows is not `Send` for every
    // lifetime, rust-lang/rust#64552.)
    let read_page = async |after: UserId| -> Result<Vec<UserId>, ServiceError> {
        let mut conn = state.db().await?;
        Ok(
            store::reminder_candidates(&mut conn, zone_name, date, kind, today, after, BATCH)
                .await?,
        )
    };
    let mut after = Some(UserId(0));
    let mut pages = FuturesUnordered::new();
    let mut written = 0;
    loop {
        while pages.len() < PAGES_AT_ONCE {
            let Some(last) = after else { break };
            // The pages already started go on while the next one is read.
            let read = read_page(last);
            tokio::pin!(read);
            let page = loop {
                tokio::select! {
                    page = &mut read => break page?,
                    Some(claimed) = pages.next() => written += claimed?,
                }
            };
            after = page.last().copied().filter(|_| page.len() as i64 >= BATCH);
            if !page.is_empty() {
                pages.push(remind_page(state, zone, today, now, kind, page));
            }
        }
        match pages.next().await {
            Some(claimed) => written += claimed?,
            None => return Ok(written),
        }
    }
}

/// One page of candidates: their chains read, the reminders the rules give
/// written with their events in one transaction (the reminders' keys
/// decide which are new), and the events' messages handed over. Answers
/// how many reminders were written.
async fn remind_page(
    state: &AppState,
    zone: Tz,
    today: NaiveDate,
    now: DateTime<Utc>,
    kind: WebhookEventType,
    candidates: Vec<UserId>,
) -> Result<usize, ServiceError> {
    let rules = &state.config.protection;
    let mut conn = state.db().await?;
    let chains =
        streak::load_many(&mut conn, &candidates, now, state.calendar.zone(), rules).await?;
    let mut due: Vec<(UserId, serde_json::Value)> = Vec::new();
    for (user_id, (_, chain)) in &chains {
        // Their today may differ from the zone's date (a move west).
        if chain.today(now) != today {
            continue;
        }
        let data = match kind {
            WebhookEventType::StreakLost => reminder::lost(chain, today, rules).map(|l| {
                json!({
                    "streak": l.streak,
                    "makeUpDates": l.make_up_dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                })
            }),
            _ => reminder::at_risk(chain, today).map(|r| {
                json!({
                    "streak": r.streak,
                    "freezesHeld": r.freezes_held,
                    "date": today.to_string(),
                    "deadline": day::end_of(today, zone)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                })
            }),
        };
        if let Some(data) = data {
            due.push((*user_id, data));
        }
    }
    if due.is_empty() {
        return Ok(0);
    }
    let ids: Vec<UserId> = due.iter().map(|(id, _)| *id).collect();
    let (claimed, webhooks_due) = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            let claimed = store::claim_reminders(conn, &ids, kind, today, now).await?;
            let mut events = Events::default();
            for (user_id, data) in &due {
                if claimed.contains(user_id) {
                    events.reminder(kind, *user_id, data.clone());
                }
            }
            Ok((claimed.len(), events.record(conn, now).await?))
        })
        .await?;
    drop(conn);
    state
        .after_commit
        .hand_over(Committed::default().webhooks_due(webhooks_due))
        .await;
    Ok(claimed)
}
