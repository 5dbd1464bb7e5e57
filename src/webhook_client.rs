//! Sends webhook messages over HTTP: one reqwest client for the process
//! (its connection pool reuses a connection per endpoint host), no
//! redirects followed, a timeout per attempt (`SIGNIN_WEBHOOK_TIMEOUT_SECS`),
//! at most [`MAX_ANSWER_BYTES`] of an answer read, and in production a
//! resolver that refuses a host any of whose addresses is loopback,
//! private, link-local or unique-local (`domain::webhook::is_forbidden`),
//! checked at every connection, so a name that changes what it resolves to
//! after the URL was accepted (DNS rebinding) reaches nothing inside.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};

use crate::domain::webhook::is_forbidden;

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
        Ok(Self { http })
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
