//! The subscriber side: one Redis pub/sub connection per process, fanned
//! out to in-memory broadcast channels, one per user with live subscribers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::Event;

#[derive(Debug, Clone)]
pub struct EventHub {
    channels: Arc<Mutex<HashMap<i64, broadcast::Sender<Arc<Event>>>>>,
    /// Events a subscriber may fall behind by before it is dropped.
    capacity: usize,
}

impl EventHub {
    pub fn new(capacity: usize) -> Self {
        Self {
            channels: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// A receiver of `user_id`'s events from now on.
    pub fn subscribe(&self, user_id: i64) -> broadcast::Receiver<Arc<Event>> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(user_id)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// Hands an event to its user's subscribers, if any.
    pub fn dispatch(&self, event: Event) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let user_id = event.user_id();
        if let Some(sender) = channels.get(&user_id) {
            if sender.send(Arc::new(event)).is_err() {
                // Nobody listens any more.
                channels.remove(&user_id);
            }
        }
    }

    pub fn live_channels(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Listens on `channel` until `shutdown`, reconnecting after failures.
    pub async fn listen(self, client: redis::Client, channel: String, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let run = self.listen_once(&client, &channel, &shutdown, &mut backoff);
            if let Err(error) = run.await {
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
        client: &redis::Client,
        channel: &str,
        shutdown: &CancellationToken,
        backoff: &mut Duration,
    ) -> Result<(), redis::RedisError> {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
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
