//! What happens after a change commits, in one place and in one order.
//!
//! A use case commits its transaction, describes what it changed as a
//! [`Committed`], and hands it over in one call ([`AfterCommit::hand_over`]).
//! From there, on a task of its own (started before anything is awaited, so
//! a caller hanging up cannot cut it short):
//!
//! 1. this process's copies of the changed cache entries are dropped;
//! 2. one atomic Redis round trip drops the shared cache entries (bumping
//!    their versions, see `cache::versioned`) and announces the events; the
//!    other processes drop their own copies when the announcement reaches
//!    them, which is after Redis dropped its entry, so they cannot re-read
//!    the old one;
//! 3. the background jobs are pushed.
//!
//! The caller waits for step 2 only: its next read must see its change, and
//! every replica has been told. Jobs are pushed after it has its answer.
//!
//! Nothing handed over here is the only copy of anything, so a Redis outage
//! costs no money and fails no request: the cache entries expire on their
//! own, events are lost (pub/sub is at-most-once; clients re-query on
//! reconnect), and a job that never reaches the queue is pushed again by the
//! relay (`jobs::relay`), because the committed row is itself the obligation.
//!
//! This module must never write to PostgreSQL or decide anything: it only
//! tells the rest of the system about a change that already happened.

pub mod queue;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::cache::local::LocalCaches;
use crate::cache::versioned::VersionedCache;
use crate::cache::RedisPool;
use crate::domain::streak::status::SignInStatus;
use crate::events::invalidation::{stale_after, Stale};
use crate::events::{Event, EventChannel};
use crate::model::{LedgerEntry, UserId, WebhookDeliveryId};
pub use queue::{QueueError, RewardBatch, RewardJob, RewardQueue, WebhookBatch, WebhookQueue};

/// How long the cache drop and announcements may wait for Redis; a slower
/// Redis counts as down (the entries then expire on their own).
const ANNOUNCE_TIMEOUT: Duration = Duration::from_millis(250);

/// What one committed change made stale, announces and leaves to do.
/// Built by the use case with one call per fact, e.g.
/// `Committed::default().signed_in(user, status, job)`.
#[derive(Debug, Default)]
#[must_use = "a committed change does nothing until it is handed over"]
pub struct Committed {
    /// What the events make stale (`events::invalidation`), and any entry
    /// a repair drops without an event.
    stale: Vec<Stale>,
    events: Vec<Event>,
    jobs: Vec<RewardJob>,
    /// Webhook messages due at once.
    webhooks: Vec<WebhookDeliveryId>,
}

impl Committed {
    /// A sign-in of `user_id` committed: their cached status is stale, the
    /// new `status` is announced, and the reward `job` is due.
    pub fn signed_in(self, user_id: UserId, status: SignInStatus, job: RewardJob) -> Self {
        self.status_changed(user_id, status).reward_due(job)
    }

    /// `user_id`'s sign-ins changed: their cached status is stale, and
    /// `status` (what they see now) is announced.
    pub fn status_changed(self, user_id: UserId, status: SignInStatus) -> Self {
        self.announce(Event::StreakUpdated { user_id, status })
    }

    /// The cached status of `user_id` may be stale, with nothing to
    /// announce (a repair, after a read found a status older than the
    /// database).
    pub fn status_may_be_stale(mut self, user_id: UserId) -> Self {
        self.stale.push(Stale::Chain(user_id));
        self
    }

    /// A ledger row committed: it is announced to its user's subscribers.
    pub fn ledger_appended(self, entry: LedgerEntry) -> Self {
        self.announce(Event::WalletUpdated {
            user_id: entry.user_id,
            transaction: entry,
        })
    }

    /// `user_id`'s row changed (role, password, deletion): every copy of it
    /// is dropped, here, in Redis and in every other process.
    pub fn user_changed(self, user_id: UserId) -> Self {
        self.announce(Event::UserChanged { user_id })
    }

    /// A reward schedule was published or cancelled: every process's copy
    /// of the schedules is stale: this one's at once, the others' by the
    /// event.
    pub fn schedules_changed(self) -> Self {
        self.announce(Event::SchedulesChanged)
    }

    /// `event` is announced, and what it makes stale is dropped (the
    /// table in `events::invalidation`, which every replica's event hub
    /// reads too).
    fn announce(mut self, event: Event) -> Self {
        self.stale.extend(stale_after(&event));
        self.events.push(event);
        self
    }

    /// A reward job is due (its obligation committed with the change).
    pub fn reward_due(mut self, job: RewardJob) -> Self {
        self.jobs.push(job);
        self
    }

    /// Webhook messages are due (their rows committed with the change; the
    /// sweep pushes them if this push is lost).
    pub fn webhooks_due(mut self, deliveries: Vec<WebhookDeliveryId>) -> Self {
        self.webhooks.extend(deliveries);
        self
    }

    fn is_empty(&self) -> bool {
        self.stale.is_empty()
            && self.events.is_empty()
            && self.jobs.is_empty()
            && self.webhooks.is_empty()
    }
}

/// The one path from a committed change to the caches, the event channel
/// and the job queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AfterCommit(Arc<Parts>);

#[derive(Debug)]
struct Parts {
    local: Arc<LocalCaches>,
    cache: Arc<VersionedCache>,
    redis: RedisPool,
    events: EventChannel,
    queue: Arc<RewardQueue>,
    webhooks: Arc<WebhookQueue>,
    /// Hand-overs whose task has not finished (announced and pushed).
    in_flight: std::sync::atomic::AtomicUsize,
    /// Told when `in_flight` drops to zero.
    idle: tokio::sync::Notify,
}

impl AfterCommit {
    /// The path through this process's copies, the shared cache, the event
    /// channel, the reward queue and the webhook queue.
    pub fn new(
        local: Arc<LocalCaches>,
        cache: Arc<VersionedCache>,
        redis: RedisPool,
        events: EventChannel,
        queue: Arc<RewardQueue>,
        webhooks: Arc<WebhookQueue>,
    ) -> Self {
        AfterCommit(Arc::new(Parts {
            local,
            cache,
            redis,
            events,
            queue,
            webhooks,
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
        }))
    }

    /// Waits, at most `within`, until every hand-over so far has announced
    /// and pushed its jobs (at shutdown, after the last request: a job
    /// still waiting to be pushed would otherwise wait for another
    /// process's relay). Returns whether all did.
    pub async fn drain(&self, within: Duration) -> bool {
        use std::sync::atomic::Ordering;
        let idle = async {
            loop {
                let notified = self.0.idle.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.0.in_flight.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(within, idle).await.is_ok()
    }

    /// Takes over `committed` (see the module's documentation for the
    /// order). The work starts at once, on its own task, before the
    /// returned future is first polled; the future resolves when the
    /// caches no longer hold stale entries and the events are announced (or
    /// Redis was found unreachable). Dropping the future cancels nothing.
    pub fn hand_over(&self, committed: Committed) -> impl Future<Output = ()> + Send + 'static {
        let announced = if committed.is_empty() {
            None
        } else {
            for stale in &committed.stale {
                stale.evict_local(&self.0.local);
            }
            let (done, announced) = tokio::sync::oneshot::channel();
            let parts = self.0.clone();
            parts
                .in_flight
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(
                async move {
                    parts.announce(&committed.stale, &committed.events).await;
                    let _ = done.send(());
                    parts.push(committed.jobs).await;
                    parts.push_webhooks(committed.webhooks).await;
                    if parts
                        .in_flight
                        .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
                        == 1
                    {
                        parts.idle.notify_waiters();
                    }
                }
                .instrument(tracing::Span::current()),
            );
            Some(announced)
        };
        async move {
            if let Some(announced) = announced {
                let _ = announced.await;
            }
        }
    }
}

impl Parts {
    /// Step 2: one atomic round trip that drops the shared entries and
    /// publishes the events, in that order.
    async fn announce(&self, stale: &[Stale], events: &[Event]) {
        // Not MULTI/EXEC: one connection's commands run in order anyway
        // (the entries are dropped before the events announce it), and the
        // transaction only added two commands to every hand-over.
        let mut pipe = redis::pipe();
        for (kind, id) in stale.iter().filter_map(|s| s.shared()) {
            self.cache.add_invalidation(&mut pipe, kind, id);
        }
        let mut announced = 0u64;
        for event in events {
            match self.events.add_publish(&mut pipe, event) {
                Ok(()) => announced += 1,
                Err(error) => tracing::error!(%error, "event not announced"),
            }
        }
        // After a Redis restart every pooled connection is dead until a
        // command fails on it; the round trip goes again on the next one,
        // or the first change after an outage would lose its announcement
        // and leave its cache entries in place. (Sent twice, it bumps a
        // version twice and announces an event twice, which subscribers
        // re-read anyway.)
        let sent =
            tokio::time::timeout(ANNOUNCE_TIMEOUT, self.redis.run_on_live_connection(&pipe)).await;
        match sent {
            Ok(Ok(())) => {
                metrics::counter!("signin_events_published_total").increment(announced);
            }
            failed => {
                let reason = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "timed out".to_owned(),
                };
                for (kind, id) in stale.iter().filter_map(|s| s.shared()) {
                    metrics::counter!("signin_cache_invalidation_failures_total", "cache" => kind)
                        .increment(1);
                    tracing::warn!(kind, id = id.0, %reason, "cache invalidation lost; the entry expires on its own");
                }
                if announced > 0 {
                    metrics::counter!("signin_events_publish_failures_total").increment(announced);
                    tracing::warn!(count = announced, %reason, "events not announced");
                }
            }
        }
    }

    /// Step 4: pushes the webhook messages due; if that fails, the sweep
    /// finds them.
    async fn push_webhooks(&self, due: Vec<WebhookDeliveryId>) {
        if due.is_empty() {
            return;
        }
        let count = due.len();
        if let Err(error) = self.webhooks.push(due).await {
            metrics::counter!("signin_webhook_enqueue_failures_total").increment(count as u64);
            tracing::warn!(count, %error, "webhook messages not enqueued; the sweep will push them");
        }
    }

    /// Step 3: pushes the jobs; if that fails, they are left to the relay.
    async fn push(&self, jobs: Vec<RewardJob>) {
        let ids: Vec<i64> = jobs.iter().map(|job| job.sign_in_id.0).collect();
        if let Err(error) = self.queue.push(jobs).await {
            metrics::counter!("signin_reward_enqueue_failures_total").increment(ids.len() as u64);
            tracing::warn!(sign_in_ids = ?ids, %error, "reward jobs not enqueued; the relay will push them");
        }
    }
}
