//! Sends webhook messages over HTTP: one reqwest client for the process
//! (its connection pool reuses a connection per endpoint host), no
//! redirects followed, a timeout per attempt (`SIGNIN_WEBHOOK_TIMEOUT_SECS`),
//! at most [`MAX_ANSWER_BYTES`] of an answer read, and in production a
//! resolver that refuses a host any of whose addresses is loopback,
//! private, link-local or unique-local (`domain::webhook::is_forbidden`),
//! checked at every connection, so a name that changes what it resolves to
//! after the URL was accepted (DNS rebinding) reaches nothing inside.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;

use crate::domain::webhook::is_forbidden;
use crate::model::WebhookEndpointId;

/// The most of an answer's body read (the rest is dropped with the
/// connection): receivers' answers are not used, only their status.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Installs the process's rustls crypto provider, which every reqwest
/// client of the process needs (this one, the OpenTelemetry exporter's):
/// call first thing. A second call changes nothing. The ring provider
/// (deprecated for lacking post-quantum key exchange) rather than
/// aws-lc-rs, whose build needs cmake beyond what a fresh Debian machine
/// has.
pub fn install_crypto_provider() {
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("webhook HTTP client: {0}")]
pub struct ClientError(String);

/// One message to send.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub url: &'a str,
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp` (Unix seconds).
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: &'a str,
    pub body: &'a str,
}

/// What an attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status; None when no answer came (timeout, refused
    /// address, connection error), with `error` saying why.
    pub status: Option<u16>,
    /// The `Retry-After` header as sent.
    pub retry_after: Option<String>,
    pub error: Option<String>,
    pub duration: Duration,
}

/// The client (cheap to clone).
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    limits: Arc<SendLimits>,
}

impl WebhookClient {
    /// A client whose attempts give up after `timeout`; `production` turns
    /// on the address check.
    pub fn new(timeout: Duration, production: bool) -> Result<Self, ClientError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(8)
            .user_agent(concat!(
                "signin-rewards-webhooks/",
                env!("CARGO_PKG_VERSION")
            ));
        if production {
            builder = builder.dns_resolver(Arc::new(CheckedResolver));
        }
        let http = builder.build().map_err(|e| ClientError(e.to_string()))?;
        Ok(Self {
            http,
            limits: Arc::default(),
        })
    }

    /// The process's limits on messages in flight.
    pub fn limits(&self) -> &SendLimits {
        &self.limits
    }

    /// POSTs `message` and reads at most [`MAX_ANSWER_BYTES`] of the
    /// answer. Never fails: what went wrong is in the answer.
    pub async fn send(&self, message: &Message<'_>) -> Answer {
        let started = Instant::now();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in [
            ("webhook-id", message.id.to_owned()),
            ("webhook-timestamp", message.timestamp.to_string()),
            ("webhook-signature", message.signature.to_owned()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        let sent = self
            .http
            .post(message.url)
            .headers(headers)
            .body(message.body.to_owned())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => {
                return Answer {
                    status: None,
                    retry_after: None,
                    error: Some(describe(&error)),
                    duration: started.elapsed(),
                }
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Read a bounded part of the body, so the connection can be reused
        // for a short answer and a huge one costs nothing.
        let mut read = 0usize;
        let mut error = None;
        while read < MAX_ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) => break,
                Err(e) => {
                    error = Some(describe(&e));
                    break;
                }
            }
        }
        Answer {
            status: Some(status),
            retry_after,
            error,
            duration: started.elapsed(),
        }
    }
}

/// A short reason for a failed request, without the URL (it is shown with
/// the attempt next to the endpoint already).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "redirect not followed"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{kind}: {inner}");
        source = inner.source();
    }
    text.chars().take(300).collect()
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Resolves with the system resolver (tokio's `lookup_host`) and refuses a
/// name any of whose addresses is forbidden.
#[derive(Debug)]
struct CheckedResolver;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(found) => found.collect(),
                Err(error) => return Err(Box::new(error) as BoxError),
            };
            if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
                let refused = format!(
                    "{host} resolves to {}, a loopback, private, link-local or unique-local address",
                    bad.ip()
                );
                return Err(refused.into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DNS rebinding: a name is checked when it is resolved, at each
    /// connection, whatever it resolved to when the URL was accepted.
    #[tokio::test]
    async fn the_production_resolver_refuses_names_of_private_addresses() {
        let name: Name = "localhost".parse().unwrap();
        let refused = CheckedResolver.resolve(name).await;
        let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("loopback"), "{error}");
    }

    #[tokio::test]
    async fn a_refused_name_is_a_failed_attempt_not_a_request() {
        let client = WebhookClient::new(Duration::from_secs(2), true).unwrap();
        let answer = client
            .send(&Message {
                url: "http://localhost:9/hook",
                id: "msg_1",
                timestamp: 1,
                signature: "v1,x",
                body: "{}",
            })
            .await;
        assert_eq!(answer.status, None);
        assert!(answer.error.unwrap_or_default().contains("loopback"));
    }
}

/// Most messages one process holds at once (claimed, not yet recorded),
/// for all endpoints together.
pub const MAX_HELD: usize = 5000;
/// Most messages one process holds at once for one endpoint: a slow or
/// dead endpoint holds at most this many of [`MAX_HELD`], and the others
/// keep the rest (issue 28: "a slow or dead endpoint never delays another
/// endpoint's deliveries"); its messages beyond it stay in the database,
/// due again 2 s later. A page of the reminder sweep (1,000 messages,
/// pushed at once) fits in it: with 400, most of each page was claimed,
/// found no room and given back (`bench/reminders.sh`: 582 round trips).
pub const MAX_HELD_PER_ENDPOINT: usize = 1000;
/// Most messages one process sends to one endpoint at once (the held ones
/// wait their turn). A full queued batch (`after_commit::queue`'s
/// `MAX_BATCH`, 100) goes out at once.
pub const MAX_SENDS_PER_ENDPOINT: usize = 100;
/// Endpoints whose limits are kept before idle ones are dropped (the map's
/// budget; endpoints are created by admins, so this is rarely reached).
const KEPT_ENDPOINT_LIMITS: usize = 1024;

/// How long a claimed message is kept from other workers when attempts
/// time out after `timeout`: long enough for the held messages of an
/// endpoint to take their turns ([`MAX_HELD_PER_ENDPOINT`] /
/// [`MAX_SENDS_PER_ENDPOINT`] rounds) and one more, plus 5 s.
pub fn lease(timeout: Duration) -> Duration {
    let rounds = (MAX_HELD_PER_ENDPOINT / MAX_SENDS_PER_ENDPOINT + 1) as u32;
    timeout.saturating_mul(rounds) + Duration::from_secs(5)
}

/// One endpoint's limits: messages held, messages being sent.
#[derive(Debug)]
struct EndpointLimits {
    held: Arc<Semaphore>,
    sending: Arc<Semaphore>,
}

/// The process's limits on the messages it holds and sends, per endpoint
/// and in all, and the sends it has started, so that a shutdown can wait
/// for them.
#[derive(Debug)]
pub struct SendLimits {
    total: Arc<Semaphore>,
    held_per_endpoint: usize,
    sends_per_endpoint: usize,
    per_endpoint: std::sync::Mutex<HashMap<WebhookEndpointId, EndpointLimits>>,
    sends: TaskTracker,
}

/// Messages of one endpoint held under [`SendLimits::reserve`]; released
/// when dropped.
#[derive(Debug)]
pub struct Reserved {
    /// How many.
    pub count: usize,
    sending: Arc<Semaphore>,
    _held: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

impl Reserved {
    /// Waits for the endpoint's turn to send one message; the turn ends
    /// when the answer is dropped.
    pub async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.sending.acquire().await.ok()
    }
}

impl Default for SendLimits {
    fn default() -> Self {
        Self::new(MAX_HELD, MAX_HELD_PER_ENDPOINT, MAX_SENDS_PER_ENDPOINT)
    }
}

impl SendLimits {
    /// Limits of `total` messages held, `held_per_endpoint` of them for
    /// one endpoint, `sends_per_endpoint` sent to it at once (all at least
    /// 1).
    pub fn new(total: usize, held_per_endpoint: usize, sends_per_endpoint: usize) -> Self {
        let total = total.max(1);
        Self {
            total: Arc::new(Semaphore::new(total)),
            held_per_endpoint: held_per_endpoint.clamp(1, total),
            sends_per_endpoint: sends_per_endpoint.max(1),
            per_endpoint: std::sync::Mutex::default(),
            sends: TaskTracker::new(),
        }
    }

    /// Holds up to `wanted` messages of `endpoint`: as many as the
    /// endpoint's own limit has free now (None when it has none: the
    /// endpoint is still busy with earlier messages), then waits until the
    /// process's limit has as many.
    pub async fn reserve(&self, endpoint: WebhookEndpointId, wanted: usize) -> Option<Reserved> {
        let (held, sending) = self.endpoint_limits(endpoint);
        let count = held.available_permits().min(wanted);
        let count_u32 = u32::try_from(count).ok().filter(|&n| n > 0)?;
        let held_permit = held.try_acquire_many_owned(count_u32).ok()?;
        let total_permit = self
            .total
            .clone()
            .acquire_many_owned(count_u32)
            .await
            .ok()?;
        Some(Reserved {
            count,
            sending,
            _held: held_permit,
            _total: total_permit,
        })
    }

    fn endpoint_limits(&self, endpoint: WebhookEndpointId) -> (Arc<Semaphore>, Arc<Semaphore>) {
        let mut limits = self
            .per_endpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if limits.len() >= KEPT_ENDPOINT_LIMITS && !limits.contains_key(&endpoint) {
            let max = self.held_per_endpoint;
            limits.retain(|_, limit| limit.held.available_permits() < max);
        }
        let limit = limits.entry(endpoint).or_insert_with(|| EndpointLimits {
            held: Arc::new(Semaphore::new(self.held_per_endpoint)),
            sending: Arc::new(Semaphore::new(self.sends_per_endpoint)),
        });
        (limit.held.clone(), limit.sending.clone())
    }

    /// Runs `send` on a task of its own, counted among the sends a
    /// shutdown waits for.
    pub fn spawn<F>(&self, send: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.sends.spawn(send);
    }

    /// Waits, at most `within`, for the sends started to end; true when
    /// they all did.
    pub async fn drain(&self, within: Duration) -> bool {
        self.sends.close();
        let done = tokio::time::timeout(within, self.sends.wait())
            .await
            .is_ok();
        self.sends.reopen();
        done
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    const A: WebhookEndpointId = WebhookEndpointId(1);
    const B: WebhookEndpointId = WebhookEndpointId(2);

    #[tokio::test]
    async fn an_endpoint_gets_its_share_and_no_more() {
        let limits = SendLimits::new(10, 4, 2);
        let first = limits.reserve(A, 3).await;
        let second = limits.reserve(A, 3).await;
        assert_eq!(first.as_ref().map(|r| r.count), Some(3));
        assert_eq!(second.as_ref().map(|r| r.count), Some(1), "4 for A in all");
        assert!(limits.reserve(A, 1).await.is_none(), "then none");
        drop(second);
        let kept: Vec<Reserved> = [limits.reserve(A, 5).await, limits.reserve(B, 4).await]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(kept.iter().map(|r| r.count).collect::<Vec<_>>(), [1, 4]);
        drop((kept, first));
        assert_eq!(limits.reserve(A, 9).await.map(|r| r.count), Some(4));
    }

    #[tokio::test]
    async fn the_process_limit_waits_and_a_drop_frees_it() {
        let limits = Arc::new(SendLimits::new(4, 4, 4));
        let held = limits.reserve(A, 4).await;
        assert!(held.is_some());
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move { limits.reserve(B, 2).await.map(|r| r.count) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "B waited for room in the process");
        drop(held);
        assert_eq!(waiting.await.ok().flatten(), Some(2));
    }

    #[tokio::test]
    async fn the_limits_kept_per_endpoint_have_a_budget() {
        let limits = SendLimits::new(8, 2, 1);
        for id in 0..(KEPT_ENDPOINT_LIMITS as i64 + 10) {
            drop(limits.reserve(WebhookEndpointId(id), 1).await);
        }
        let kept = limits
            .per_endpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        assert!(kept <= KEPT_ENDPOINT_LIMITS, "{kept} kept");
    }

    #[tokio::test]
    async fn held_messages_take_turns_to_be_sent() {
        let limits = SendLimits::new(10, 4, 2);
        let held = limits.reserve(A, 4).await.expect("room");
        let first = held.turn().await;
        let second = held.turn().await;
        assert!(first.is_some() && second.is_some());
        let third = tokio::time::timeout(Duration::from_millis(30), held.turn()).await;
        assert!(third.is_err(), "two at once");
        drop(first);
        assert!(held.turn().await.is_some());
    }

    #[test]
    fn the_lease_covers_every_turn_of_the_held_messages() {
        let timeout = Duration::from_secs(15);
        let rounds = MAX_HELD_PER_ENDPOINT.div_ceil(MAX_SENDS_PER_ENDPOINT) as u32;
        assert!(lease(timeout) > timeout * rounds, "{:?}", lease(timeout));
    }

    #[tokio::test]
    async fn drain_waits_for_the_sends_started() {
        let limits = SendLimits::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        limits.spawn(async move {
            let _ = rx.await;
        });
        assert!(!limits.drain(Duration::from_millis(30)).await);
        let _ = tx.send(());
        assert!(limits.drain(Duration::from_secs(5)).await);
    }
}
