//! Every setting, read once from the environment and validated at start.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::rewards::RewardTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    pub redis_url: String,
    /// Prefix of every Redis key and queue name of this install (or test run).
    pub redis_namespace: String,
    pub bind: SocketAddr,
    /// Where a `worker` process serves health and metrics (none if unset).
    pub worker_bind: Option<SocketAddr>,
    pub jwt_secret: String,
    pub token_ttl: Duration,
    pub timezone: Tz,
    pub rewards: RewardTable,
    /// `SIGNIN_NOW`: where the service clock starts (never in production).
    pub now: Option<DateTime<Utc>>,
    pub db_pool_size: u32,
    pub redis_pool_size: u32,
    pub worker_concurrency: usize,
    /// How long an uncredited sign-in waits before the relay enqueues it again.
    pub relay_grace: Duration,
    pub relay_interval: Duration,
    pub log_format: LogFormat,
    pub graphql: GraphqlLimits,
    pub login_limits: LoginLimits,
    pub websocket: WebSocketLimits,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it).
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone)]
pub struct WebSocketLimits {
    pub max_connections: usize,
    pub max_subscriptions_per_connection: usize,
    /// How often the server pings each connection (graphql-transport-ws).
    pub ping_interval: Duration,
    /// How often a connection's token is checked again (deletion, expiry,
    /// password change end its subscriptions).
    pub recheck_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
    pub playground: bool,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures per username in the window before each further try is slowed.
    pub slow_after: u32,
    /// Failures per username in the window before logins are refused.
    pub refuse_after: u32,
    /// The same per client address (many usernames from one place).
    pub address_slow_after: u32,
    pub address_refuse_after: u32,
    pub window: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is required")]
    Missing { name: &'static str },
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A development secret, so `make run` works with no setup. Production
/// refuses to start without a real one.
const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-do-not-use-in-production";
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/signin_rewards";
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

impl Config {
    /// Reads the process environment (after `.env`, if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `lookup`, so tests can pass their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let environment = match lookup("SIGNIN_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "SIGNIN_ENV",
                    format!("{other:?} is not development or production"),
                ))
            }
        };
        let production = environment == Environment::Production;

        let jwt_secret = match lookup("SIGNIN_JWT_SECRET") {
            Some(secret) if production && secret.len() < 32 => {
                return Err(invalid(
                    "SIGNIN_JWT_SECRET",
                    "must be at least 32 bytes in production".into(),
                ))
            }
            Some(secret) => secret,
            None if production => {
                return Err(ConfigError::Missing {
                    name: "SIGNIN_JWT_SECRET",
                })
            }
            None => DEVELOPMENT_JWT_SECRET.to_owned(),
        };

        let now = match lookup("SIGNIN_NOW") {
            Some(_) if production => {
                return Err(invalid(
                    "SIGNIN_NOW",
                    "a test clock is refused when SIGNIN_ENV=production".into(),
                ))
            }
            Some(raw) => Some(
                DateTime::parse_from_rfc3339(&raw)
                    .map_err(|e| invalid("SIGNIN_NOW", format!("not an RFC 3339 instant: {e}")))?
                    .with_timezone(&Utc),
            ),
            None => None,
        };

        let timezone = match lookup("SIGNIN_TIMEZONE") {
            Some(raw) => raw.parse::<Tz>().map_err(|_| {
                invalid(
                    "SIGNIN_TIMEZONE",
                    format!("{raw:?} is not an IANA time zone"),
                )
            })?,
            None => Tz::UTC,
        };

        let rewards = match lookup("SIGNIN_REWARDS") {
            Some(raw) => raw
                .parse()
                .map_err(|e| invalid("SIGNIN_REWARDS", format!("{e}")))?,
            None => RewardTable::default(),
        };

        let bind = parse_or(&lookup, "SIGNIN_BIND", "127.0.0.1:8000".parse().ok())?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2) as u32;

        let log_format = match lookup("SIGNIN_LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            None if production => LogFormat::Json,
            None => LogFormat::Text,
            Some(other) => {
                return Err(invalid(
                    "SIGNIN_LOG_FORMAT",
                    format!("{other:?} is not text or json"),
                ))
            }
        };

        Ok(Config {
            environment,
            database_url: lookup("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            redis_url: lookup("REDIS_URL").unwrap_or_else(|| DEFAULT_REDIS_URL.to_owned()),
            redis_namespace: lookup("SIGNIN_REDIS_NAMESPACE")
                .unwrap_or_else(|| "signin".to_owned()),
            bind,
            worker_bind: lookup("SIGNIN_WORKER_BIND")
                .map(|raw| {
                    raw.parse()
                        .map_err(|e| invalid("SIGNIN_WORKER_BIND", format!("{raw:?}: {e}")))
                })
                .transpose()?,
            jwt_secret,
            token_ttl: Duration::from_secs(parse_or(
                &lookup,
                "SIGNIN_TOKEN_TTL_SECS",
                Some(24 * 3600),
            )?),
            timezone,
            rewards,
            now,
            // PostgreSQL does best with a few connections per core.
            db_pool_size: parse_or(&lookup, "SIGNIN_DB_POOL_SIZE", Some((cores * 4).max(8)))?,
            redis_pool_size: parse_or(&lookup, "SIGNIN_REDIS_POOL_SIZE", Some((cores * 4).max(8)))?,
            worker_concurrency: parse_or(&lookup, "SIGNIN_WORKER_CONCURRENCY", Some(16))?,
            relay_grace: Duration::from_secs(parse_or(
                &lookup,
                "SIGNIN_RELAY_GRACE_SECS",
                Some(30),
            )?),
            relay_interval: Duration::from_millis(parse_or(
                &lookup,
                "SIGNIN_RELAY_INTERVAL_MS",
                Some(5000),
            )?),
            log_format,
            graphql: GraphqlLimits {
                max_depth: parse_or(&lookup, "SIGNIN_MAX_DEPTH", Some(15))?,
                max_complexity: parse_or(&lookup, "SIGNIN_MAX_COMPLEXITY", Some(1000))?,
                introspection: parse_or(&lookup, "SIGNIN_INTROSPECTION", Some(!production))?,
                playground: parse_or(&lookup, "SIGNIN_PLAYGROUND", Some(!production))?,
                max_body_bytes: parse_or(&lookup, "SIGNIN_MAX_BODY_BYTES", Some(256 * 1024))?,
                request_timeout: Duration::from_millis(parse_or(
                    &lookup,
                    "SIGNIN_REQUEST_TIMEOUT_MS",
                    Some(10_000),
                )?),
            },
            login_limits: LoginLimits {
                slow_after: parse_or(&lookup, "SIGNIN_LOGIN_SLOW_AFTER", Some(3))?,
                refuse_after: parse_or(&lookup, "SIGNIN_LOGIN_REFUSE_AFTER", Some(10))?,
                address_slow_after: parse_or(&lookup, "SIGNIN_LOGIN_ADDRESS_SLOW_AFTER", Some(20))?,
                address_refuse_after: parse_or(
                    &lookup,
                    "SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER",
                    Some(100),
                )?,
                window: Duration::from_secs(parse_or(
                    &lookup,
                    "SIGNIN_LOGIN_WINDOW_SECS",
                    Some(900),
                )?),
            },
            trust_forwarded_for: parse_or(&lookup, "SIGNIN_TRUST_FORWARDED_FOR", Some(false))?,
            websocket: WebSocketLimits {
                max_connections: parse_or(&lookup, "SIGNIN_MAX_WS_CONNECTIONS", Some(10_000))?,
                max_subscriptions_per_connection: parse_or(
                    &lookup,
                    "SIGNIN_MAX_SUBSCRIPTIONS_PER_CONNECTION",
                    Some(10),
                )?,
                ping_interval: Duration::from_secs(parse_or(
                    &lookup,
                    "SIGNIN_WS_PING_SECS",
                    Some(15),
                )?),
                recheck_interval: Duration::from_millis(parse_or(
                    &lookup,
                    "SIGNIN_WS_RECHECK_MS",
                    Some(30_000),
                )?),
            },
        })
    }
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
}

fn parse_or<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match lookup(name) {
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| invalid(name, format!("{raw:?}: {e}"))),
        None => default.ok_or(ConfigError::Missing { name }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_contracts() {
        let c = config(&[]).unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(c.timezone, Tz::UTC);
        assert_eq!(c.rewards, RewardTable::default());
        assert_eq!(c.token_ttl, Duration::from_secs(86400));
        assert!(c.now.is_none());
        assert!(c.graphql.introspection && c.graphql.playground);
    }

    #[test]
    fn production_requires_a_long_secret_and_refuses_a_test_clock() {
        assert!(matches!(
            config(&[("SIGNIN_ENV", "production")]),
            Err(ConfigError::Missing {
                name: "SIGNIN_JWT_SECRET"
            })
        ));
        assert!(config(&[("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", "short")]).is_err());
        let secret = "s".repeat(32);
        let prod = config(&[("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", &secret)]).unwrap();
        assert!(!prod.graphql.introspection && !prod.graphql.playground);
        assert_eq!(prod.log_format, LogFormat::Json);
        assert!(config(&[
            ("SIGNIN_ENV", "production"),
            ("SIGNIN_JWT_SECRET", &secret),
            ("SIGNIN_NOW", "2026-01-01T00:00:00Z")
        ])
        .is_err());
    }

    #[test]
    fn values_are_validated() {
        let c = config(&[
            ("SIGNIN_NOW", "2026-01-01T08:00:00+08:00"),
            ("SIGNIN_TIMEZONE", "Asia/Shanghai"),
            ("SIGNIN_REWARDS", "1,2,3,4,5,6,7"),
        ])
        .unwrap();
        assert_eq!(c.now.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(c.rewards.for_day(7), 7);
        assert!(config(&[("SIGNIN_NOW", "yesterday")]).is_err());
        assert!(config(&[("SIGNIN_TIMEZONE", "Mars/Olympus")]).is_err());
        assert!(config(&[("SIGNIN_REWARDS", "1,2")]).is_err());
        assert!(config(&[("SIGNIN_ENV", "staging")]).is_err());
        assert!(config(&[("SIGNIN_BIND", "nowhere")]).is_err());
    }
}
