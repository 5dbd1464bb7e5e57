//! Webhooks' rules (contract, "Webhooks and streak reminders"): the
//! signing secret's format and the signature of the Standard Webhooks
//! specification v1 (<https://github.com/standard-webhooks/standard-webhooks>,
//! `spec/standard-webhooks.md`: HMAC-SHA256 over `id.timestamp.body`, `v1,`
//! and base64, one per live secret, space-separated), the retry schedule
//! with its jitter, what an answer means (delivered, retry, gone), when an
//! endpoint that only fails is disabled, and which URLs may receive.
//!
//! Pure: randomness (the secret's bytes, the jitter) and the clock come in
//! as arguments.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::text;
use crate::model::WebhookEventType;

/// What every signing secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the contract asks for at least 24).
pub const SECRET_BYTES: usize = 32;
/// Longest URL accepted (characters).
pub const MAX_URL: usize = 2048;
/// Longest description accepted (characters).
pub const MAX_DESCRIPTION: usize = 500;

/// The delays before the 2nd, 3rd, ... 8th attempt; after the 8th the
/// message has failed (contract: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];
/// Each delay may be up to this fraction later (jitter, so that many
/// messages failing at once do not all come back at once).
pub const MAX_JITTER: f64 = 0.2;
/// An endpoint whose every attempt failed for this long is disabled.
pub const DISABLE_AFTER_FAILING: TimeDelta = TimeDelta::days(5);
/// The longest `Retry-After` honoured: a longer one waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A new signing secret from `bytes` (random, from the caller):
/// `whsec_` and their base64.
pub fn new_secret(bytes: &[u8; SECRET_BYTES]) -> String {
    format!("{SECRET_PREFIX}{}", BASE64.encode(bytes))
}

/// The key bytes of `secret` (`whsec_` and base64, as [`new_secret`]
/// writes; the prefix may be left out, as the specification's libraries
/// allow). None when it is not base64.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    BASE64.decode(encoded).ok().filter(|k| !k.is_empty())
}

/// One signature: `v1,` and the base64 of HMAC-SHA256 under `key` of
/// `{msg_id}.{timestamp}.{body}` (timestamp in Unix seconds).
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per secret (each live
/// secret of the endpoint, newest first), space-separated. Secrets that do
/// not decode are left out.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .into_iter()
        .filter_map(secret_key)
        .map(|key| sign(&key, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The delay before the next attempt after `attempts_made` attempts (1 or
/// more) failed, made up to [`MAX_JITTER`] later by `jitter` (0.0..1.0);
/// None when that was the last attempt (the message has failed).
pub fn retry_delay(attempts_made: u32, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
    let base = *RETRY_DELAYS.get(index)?;
    Some(base.mul_f64(1.0 + MAX_JITTER * jitter.clamp(0.0, 1.0)))
}

/// What an attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx answer: delivered.
    Delivered,
    /// `410 Gone`: the endpoint is disabled at once.
    Gone,
    /// Anything else (or no answer): try again, not before `not_before`
    /// (a `Retry-After` of a 429 or 503).
    Retry { not_before: Option<Duration> },
}

/// The verdict on an attempt that got `status` (None: no answer in time,
/// a connection error) with the `retry_after` the answer asked for.
pub fn verdict(status: Option<u16>, retry_after: Option<Duration>) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        Some(429 | 503) => Verdict::Retry {
            not_before: retry_after.map(|d| d.min(MAX_RETRY_AFTER)),
        },
        _ => Verdict::Retry { not_before: None },
    }
}

/// A `Retry-After` value (RFC 9110, 10.2.3): delay-seconds or an
/// HTTP-date, read at `now`. None when it is neither; a date in the past
/// is no wait.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or_default())
}

/// Whether an endpoint failing since `failing_since` (its first failed
/// attempt with no success after) is disabled at `now`.
pub fn failing_too_long(failing_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    failing_since.is_some_and(|since| now - since >= DISABLE_AFTER_FAILING)
}

/// Why an endpoint's description or event list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointInputError {
    #[error("must be at most {MAX_DESCRIPTION} characters")]
    DescriptionTooLong,
    #[error("{0}")]
    DescriptionText(text::TextError),
    #[error("must name at least one event type")]
    NoEvents,
}

/// Checks a description: at most [`MAX_DESCRIPTION`] characters, the
/// characters of a note.
pub fn validate_description(description: &str) -> Result<(), EndpointInputError> {
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(EndpointInputError::DescriptionTooLong);
    }
    text::check_free_text(description).map_err(EndpointInputError::DescriptionText)
}

/// The event types subscribed to: at least one, each once, in the
/// contract's order.
pub fn validate_events(
    events: &[WebhookEventType],
) -> Result<Vec<WebhookEventType>, EndpointInputError> {
    let chosen: Vec<WebhookEventType> = WebhookEventType::ALL
        .into_iter()
        .filter(|t| events.contains(t))
        .collect();
    if chosen.is_empty() {
        return Err(EndpointInputError::NoEvents);
    }
    Ok(chosen)
}

/// Why a URL may not receive webhooks (`BAD_USER_INPUT` naming `url`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must be an absolute URL such as https://example.com/hooks")]
    NotAUrl,
    #[error("must be at most {MAX_URL} characters")]
    TooLong,
    #[error("must use https")]
    NotHttps,
    #[error("must use https or http")]
    NotHttp,
    #[error("must not hold a user name or password")]
    Credentials,
    #[error("must not point to a loopback, private, link-local or unique-local address")]
    PrivateAddress,
}

/// Checks a receiving URL: absolute, `https` (or, outside production,
/// `http` too), no credentials in it, and in production no host that is a
/// forbidden address literal. (A name is resolved, and its addresses
/// checked, at each delivery.) Answers it normalised.
pub fn validate_url(raw: &str, production: bool) -> Result<url::Url, UrlError> {
    if raw.chars().count() > MAX_URL {
        return Err(UrlError::TooLong);
    }
    if text::check_line(raw).is_err() {
        return Err(UrlError::NotAUrl);
    }
    let url = url::Url::parse(raw).map_err(|_| UrlError::NotAUrl)?;
    match (url.scheme(), production) {
        ("https", _) | ("http", false) => {}
        (_, true) => return Err(UrlError::NotHttps),
        (_, false) => return Err(UrlError::NotHttp),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain("")) => return Err(UrlError::NotAUrl),
        Some(url::Host::Domain(_)) => None,
        None => return Err(UrlError::NotAUrl),
    };
    if production && literal.is_some_and(is_forbidden) {
        return Err(UrlError::PrivateAddress);
    }
    Ok(url)
}

/// Whether webhooks may not go to `ip` in production: loopback, private
/// (RFC 1918), shared (RFC 6598), link-local, unique-local (RFC 4193),
/// unspecified, broadcast, multicast, documentation; an IPv4 address
/// inside IPv6 (mapped, compatible, NAT64 well-known prefix) is judged as
/// the IPv4 address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return forbidden_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
                || (first & 0xffc0) == 0xfe80 // link local, fe80::/10
                || (first & 0xffc0) == 0xfec0 // site local (deprecated), fec0::/10
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space, 100.64.0.0/10
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || a >= 240 // reserved
}

/// The IPv4 address an IPv6 address carries: mapped (`::ffff:a.b.c.d`),
/// compatible (`::a.b.c.d`, not `::` or `::1`), or NAT64 (`64:ff9b::/96`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(low);
    }
    (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]).then_some(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's published test vector (the
    /// reference libraries' tests use it).
    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let key = secret_key(secret).unwrap();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        // The prefix is optional, as in the reference libraries.
        assert_eq!(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Some(key));
        // Two live secrets: two signatures, space-separated, in order.
        let header = signature_header(
            [secret, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(parts[1].starts_with("v1,") && parts[1] != parts[0]);
        assert_eq!(secret_key("whsec_not base64!"), None);
        assert_eq!(secret_key("whsec_"), None);
    }

    #[test]
    fn new_secrets_are_whsec_and_base64_of_their_bytes() {
        let secret = new_secret(&[7; SECRET_BYTES]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret), Some(vec![7; SECRET_BYTES]));
    }

    #[test]
    fn the_retry_schedule_with_jitter() {
        let cases: &[(u32, f64, Option<u64>)] = &[
            (0, 0.0, None),
            (1, 0.0, Some(5)),
            (1, 1.0, Some(6)),
            (2, 0.0, Some(300)),
            (2, 0.5, Some(330)),
            (3, 0.0, Some(1800)),
            (4, 0.0, Some(7200)),
            (5, 0.0, Some(18_000)),
            (6, 0.0, Some(36_000)),
            (7, 1.0, Some(43_200)),
            (8, 0.0, None),
            (u32::MAX, 0.5, None),
            (1, 7.0, Some(6)), // jitter is clamped
            (1, -1.0, Some(5)),
        ];
        for (attempts, jitter, want) in cases {
            assert_eq!(
                retry_delay(*attempts, *jitter).map(|d| d.as_secs()),
                *want,
                "after {attempts} attempts, jitter {jitter}"
            );
        }
    }

    #[test]
    fn answers_decide_delivered_gone_or_retry() {
        let wait = Some(Duration::from_secs(120));
        let cases = [
            (Some(200), None, Verdict::Delivered),
            (Some(204), None, Verdict::Delivered),
            (Some(299), None, Verdict::Delivered),
            (Some(301), None, Verdict::Retry { not_before: None }),
            (Some(400), wait, Verdict::Retry { not_before: None }),
            (Some(410), None, Verdict::Gone),
            (Some(429), wait, Verdict::Retry { not_before: wait }),
            (Some(503), wait, Verdict::Retry { not_before: wait }),
            (Some(500), wait, Verdict::Retry { not_before: None }),
            (None, None, Verdict::Retry { not_before: None }),
            (
                Some(429),
                Some(Duration::from_secs(10 * 24 * 3600)),
                Verdict::Retry {
                    not_before: Some(MAX_RETRY_AFTER),
                },
            ),
        ];
        for (status, retry_after, want) in cases {
            assert_eq!(
                verdict(status, retry_after),
                want,
                "{status:?} {retry_after:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
        let cases = [
            ("120", Some(120)),
            (" 0 ", Some(0)),
            ("Sun, 01 Mar 2026 12:02:00 GMT", Some(120)),
            ("Sun, 01 Mar 2026 11:00:00 GMT", Some(0)),
            ("soon", None),
            ("-5", None),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_retry_after(value, now).map(|d| d.as_secs()),
                want,
                "{value:?}"
            );
        }
    }

    #[test]
    fn an_endpoint_failing_for_five_days_is_disabled() {
        let now: DateTime<Utc> = "2026-03-06T12:00:00Z".parse().unwrap();
        assert!(!failing_too_long(None, now));
        assert!(!failing_too_long(
            Some(now - TimeDelta::days(5) + TimeDelta::seconds(1)),
            now
        ));
        assert!(failing_too_long(Some(now - TimeDelta::days(5)), now));
    }

    #[test]
    fn urls_are_https_without_credentials_or_private_literals() {
        use UrlError::*;
        let cases: &[(&str, bool, Result<(), UrlError>)] = &[
            ("https://hooks.example.com/signin", true, Ok(())),
            ("https://hooks.example.com:8443/a?b=c", true, Ok(())),
            ("http://hooks.example.com/", true, Err(NotHttps)),
            ("http://hooks.example.com/", false, Ok(())),
            ("http://127.0.0.1:9000/hook", false, Ok(())),
            ("ftp://example.com/", false, Err(NotHttp)),
            ("javascript:alert(1)", true, Err(NotHttps)),
            ("not a url", true, Err(NotAUrl)),
            ("/relative", true, Err(NotAUrl)),
            ("https://user:pw@example.com/", true, Err(Credentials)),
            ("https://127.0.0.1/", true, Err(PrivateAddress)),
            ("https://10.1.2.3/", true, Err(PrivateAddress)),
            ("https://[::1]/", true, Err(PrivateAddress)),
            ("https://[::ffff:192.168.0.1]/", true, Err(PrivateAddress)),
            (
                "https://169.254.169.254/latest/meta-data",
                true,
                Err(PrivateAddress),
            ),
            ("https://0x7f.1/", true, Err(PrivateAddress)), // 127.0.0.1 spelled in hex
            ("https://2130706433/", true, Err(PrivateAddress)), // 127.0.0.1 as one number
            ("https://93.184.215.14/", true, Ok(())),
        ];
        for (raw, production, want) in cases {
            assert_eq!(
                validate_url(raw, *production).map(|_| ()),
                *want,
                "{raw} (production {production})"
            );
        }
        assert_eq!(
            validate_url(&format!("https://e.com/{}", "a".repeat(MAX_URL)), true),
            Err(TooLong)
        );
    }

    #[test]
    fn descriptions_and_event_lists() {
        use WebhookEventType::*;
        assert_eq!(validate_description(""), Ok(()));
        assert_eq!(validate_description("CRM\tpush"), Ok(()));
        assert_eq!(
            validate_description(&"a".repeat(MAX_DESCRIPTION + 1)),
            Err(EndpointInputError::DescriptionTooLong)
        );
        assert!(validate_description("nul\0").is_err());
        assert_eq!(validate_events(&[]), Err(EndpointInputError::NoEvents));
        assert_eq!(
            validate_events(&[StreakLost, SignInRecorded, StreakLost]),
            Ok(vec![SignInRecorded, StreakLost])
        );
        assert!(validate_url("https://e.com/\u{0}", false).is_err());
    }

    #[test]
    fn forbidden_addresses() {
        let cases = [
            ("127.0.0.1", true),
            ("10.0.0.1", true),
            ("172.16.5.4", true),
            ("172.32.0.1", false),
            ("192.168.1.1", true),
            ("169.254.0.1", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("0.0.0.0", true),
            ("255.255.255.255", true),
            ("224.0.0.1", true),
            ("8.8.8.8", false),
            ("::1", true),
            ("::", true),
            ("fe80::1", true),
            ("fd00::1", true),
            ("fc00::1", true),
            ("::ffff:10.0.0.1", true),
            ("::ffff:8.8.8.8", false),
            ("64:ff9b::7f00:1", true),
            ("64:ff9b::808:808", false),
            ("2606:4700:4700::1111", false),
            ("2001:db8::1", true),
        ];
        for (ip, want) in cases {
            assert_eq!(is_forbidden(ip.parse().unwrap()), want, "{ip}");
        }
    }
}
