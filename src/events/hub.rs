//! The subscriber side: one Redis pub/sub connection per process, fanned
//! out to in-memory broadcast channels, one per user with live subscribers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::invalidation::stale_after;
use super::Event;
use crate::cache::local::LocalCaches;
use crate::cache::RedisTarget;
use crate::model::UserId;

#[derive(Debug, Clone)]
pub struct EventHub {
    channels: Arc<Mutex<HashMap<UserId, broadcast::Sender<Arc<Event>>>>>,
    /// Events a subscriber may fall behind by before it is dropped.
    capacity: usize,
    /// This process's copies of cache entries, evicted by announcements.
    local: Arc<LocalCaches>,
}

impl EventHub {
    pub fn new(capacity: usize, local: Arc<LocalCaches>) -> Self {
        Self {
            channels: Arc::default(),
            capacity: capacity.max(1),
            local,
        }
    }

    /// A receiver of `user_id`'s events from now on.
    pub fn subscribe(&self, user_id: UserId) -> broadcast::Receiver<Arc<Event>> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        // Channels whose subscribers all left go when their user gets an
        // event; users who get none are swept here, now and then.
        if channels.len() % 1024 == 1023 {
            channels.retain(|_, sender| sender.receiver_count() > 0);
        }
        channels
            .entry(user_id)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// Evicts what the event makes stale, then hands it to its user's
    /// subscribers, if any.
    pub fn dispatch(&self, event: Event) {
        if let Some(stale) = stale_after(&event) {
            stale.evict_local(&self.local);
        }
        let Some(user_id) = event.user_id() else {
            return;
        };
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = channels.get(&user_id) {
            if sender.send(Arc::new(event)).is_err() {
                // Nobody listens any more.
                channels.remove(&user_id);
            }
        }
    }

    /// Users with live subscribers in this process.
    pub fn live_channels(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Listens on `channel` until `shutdown`, reconnecting after failures.
    /// Each (re)connection goes to the Redis `target` names then (under
    /// Sentinel, the current master).
    pub async fn listen(
        self,
        target: Arc<RedisTarget>,
        channel: String,
        shutdown: CancellationToken,
    ) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let run = self
                .listen_once(&target, &channel, &shutdown, &mut backoff)
                .await;
            // Announcements may be missed from here on: stop using copies.
            self.local.set_live(false);
            if let Err(error) = run {
                metrics::counter!("signin_event_listener_reconnects_total").increment(1);
                tracing::warn!(%error, retry_in = ?backoff, "event listener lost Redis; reconnecting");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn listen_once(
        &self,
        target: &RedisTarget,
        channel: &str,
        shutdown: &CancellationToken,
        backoff: &mut Duration,
    ) -> Result<(), redis::RedisError> {
        let mut pubsub = target.client().await?.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        self.local.set_live(true);
        *backoff = Duration::from_millis(100);
        tracing::debug!(channel, "event listener subscribed");
        let mut messages = pubsub.on_message();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                message = messages.next() => {
                    let Some(message) = message else {
                        return Err(redis::RedisError::from((redis::ErrorKind::Io, "pub/sub stream ended")));
                    };
                    match serde_json::from_slice::<Event>(message.get_payload_bytes()) {
                        Ok(event) => self.dispatch(event),
                        Err(error) => tracing::warn!(%error, "undecodable event ignored"),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;

    fn event(user_id: UserId) -> Event {
        Event::UserChanged { user_id }
    }

    #[tokio::test]
    async fn events_reach_only_their_users_subscribers() {
        let hub = EventHub::new(4, Arc::default());
        let mut alice = hub.subscribe(UserId(1));
        let mut bob = hub.subscribe(UserId(2));
        hub.dispatch(event(UserId(1)));
        assert_eq!(alice.recv().await.unwrap().user_id(), Some(UserId(1)));
        assert!(bob.try_recv().is_err());
    }

    #[tokio::test]
    async fn slow_subscribers_lag_instead_of_growing_memory() {
        let hub = EventHub::new(4, Arc::default());
        let mut slow = hub.subscribe(UserId(1));
        for _ in 0..10 {
            hub.dispatch(event(UserId(1)));
        }
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
    }

    #[tokio::test]
    async fn abandoned_channels_are_swept() {
        let hub = EventHub::new(4, Arc::default());
        for user in 0..5000 {
            drop(hub.subscribe(UserId(user)));
        }
        assert!(
            hub.live_channels() < 1024,
            "{} channels kept",
            hub.live_channels()
        );
    }
}
