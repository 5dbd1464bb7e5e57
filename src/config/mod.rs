//! Every setting, read once at start and validated: declared once in
//! [`Settings`] (flag, environment variable, default, parser, help), then
//! checked together into the [`Config`] the rest of the service uses.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::{Args, FromArgMatches};

use crate::domain::rewards::RewardTable;
use crate::domain::streak::protection::StreakProtection;

/// `SIGNIN_ENV`: production is strict (secrets, no playground, no test clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// `SIGNIN_LOG_FORMAT`: how log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated settings, as the service uses them.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    /// `DATABASE_REPLICA_URL`: a hot standby for admin reads, if any.
    pub database_replica_url: Option<String>,
    /// `SIGNIN_REPLICA_MAX_LAG_SECS`: past this lag, admin reads go to the
    /// primary.
    pub replica_max_lag: Duration,
    /// `SIGNIN_HISTORY_RETENTION_MONTHS`: months of sign-ins kept live
    /// (`service::history`); `None` keeps everything.
    pub history_retention_months: Option<u32>,
    pub redis_url: String,
    /// `REDIS_SENTINELS` and `REDIS_SENTINEL_MASTER`: where to ask for the
    /// Redis master, if Redis runs under Sentinel.
    pub redis_sentinel: Option<RedisSentinel>,
    /// Prefix of every Redis key and queue name of this install (or test run).
    pub redis_namespace: String,
    pub bind: SocketAddr,
    /// Where a `worker` process serves health and metrics (none if unset).
    pub worker_bind: Option<SocketAddr>,
    pub jwt_secret: String,
    /// `SIGNIN_JWT_PREVIOUS_SECRETS`: keys that still verify what they signed.
    pub jwt_previous_secrets: Vec<String>,
    /// Access token lifetime.
    pub token_ttl: Duration,
    /// `SIGNIN_SESSION_*`, `SIGNIN_REFRESH_GRACE_SECS`.
    pub sessions: SessionLimits,
    pub timezone: Tz,
    /// `SIGNIN_TIMEZONE_CHANGE_DAYS`: days between two changes of a user's zone.
    pub timezone_change_days: u16,
    /// `SIGNIN_WEBHOOK_TIMEOUT_SECS`: how long a webhook attempt may take.
    pub webhook_timeout: Duration,
    /// `SIGNIN_REMINDER_LOCAL_TIME`: when streak reminders go out in each
    /// user's zone; None: never.
    pub reminder_local_time: Option<chrono::NaiveTime>,
    pub rewards: RewardTable,
    /// `SIGNIN_MAKEUP_*`, `SIGNIN_FREEZE_COST`, `SIGNIN_MAX_FREEZES`,
    /// `SIGNIN_MILESTONES`.
    pub protection: StreakProtection,
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
    pub hashing: HashLimits,
    pub metrics: MetricsAccess,
    pub websocket: WebSocketLimits,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it).
    pub trust_forwarded_for: bool,
}

/// Redis under Sentinel: the master named `master`, as the sentinels at
/// `nodes` (host, port) know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSentinel {
    pub nodes: Vec<(String, u16)>,
    pub master: String,
}

/// Limits of GraphQL subscriptions over WebSocket.
#[derive(Debug, Clone)]
pub struct WebSocketLimits {
    pub max_connections: usize,
    /// Connections per client address (per process).
    pub max_per_address: usize,
    /// Authenticated connections per user (per process).
    pub max_per_user: usize,
    pub max_subscriptions_per_connection: usize,
    /// How often the server pings each connection (graphql-transport-ws).
    pub ping_interval: Duration,
    /// How often a connection's token is checked again (deletion, expiry,
    /// password change end its subscriptions).
    pub recheck_interval: Duration,
}

/// Limits checked on each GraphQL request.
#[derive(Debug, Clone)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    /// For users and anonymous callers.
    pub max_complexity: usize,
    /// For an admin's operations that select admin fields.
    pub max_admin_complexity: usize,
    /// Field selections per document, fragments expanded.
    pub max_fields: usize,
    pub introspection: bool,
    pub playground: bool,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// How long a connection may take to send a request's headers, from
    /// when it waits for one.
    pub header_read_timeout: Duration,
    /// Bytes of new persisted-query texts stored per clock hour.
    pub persisted_bytes_per_hour: u64,
}

/// How long sessions last (contract, "Sessions: staying signed in").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Unused this long (no login or refresh), a session ends.
    pub idle: chrono::TimeDelta,
    /// A session ends this long after its login at the latest.
    pub max: chrono::TimeDelta,
    /// A spent refresh token answers its successor again this long.
    pub refresh_grace: chrono::TimeDelta,
}

/// When failed logins slow down and then refuse further tries.
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
    /// Registrations per client address in `registration_window` before
    /// further ones are refused.
    pub registrations_per_address: u32,
    pub registration_window: Duration,
}

/// Who may read `/metrics`: see [`MetricsAccess::on_api`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsAccess {
    /// `SIGNIN_METRICS_BIND`: an address of its own, served anonymously.
    pub bind: Option<SocketAddr>,
    /// `SIGNIN_METRICS_TOKEN`: the bearer token `/metrics` on
    /// `SIGNIN_BIND` requires.
    pub token: Option<String>,
    /// Production: without a token, `/metrics` is not served on
    /// `SIGNIN_BIND` at all.
    pub production: bool,
}

/// What `/metrics` on `SIGNIN_BIND` does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAnswer {
    Serve,
    /// 401: the token is configured and the request does not carry it.
    Unauthorized,
    /// 404: production with no token (served on `SIGNIN_METRICS_BIND`
    /// only, if anywhere).
    NotServed,
}

impl MetricsAccess {
    /// The answer to a request for `/metrics` on `SIGNIN_BIND` whose
    /// `Authorization` header is `authorization` (contract, "The process":
    /// in production never anonymous there). The token is compared in
    /// constant time.
    pub fn on_api(&self, authorization: Option<&str>) -> MetricsAnswer {
        match &self.token {
            Some(token) => {
                let given = authorization
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .unwrap_or_default();
                if constant_time_eq(given.as_bytes(), token.as_bytes()) {
                    MetricsAnswer::Serve
                } else {
                    MetricsAnswer::Unauthorized
                }
            }
            None if self.production => MetricsAnswer::NotServed,
            None => MetricsAnswer::Serve,
        }
    }
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths
/// only (a token is not guessed a byte at a time).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How many password hashes run at once, and how many may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// Hashes computed at once (at least 1).
    pub concurrent: usize,
    /// Hashes that may wait for a slot before `RATE_LIMITED`.
    pub queue: usize,
}

/// Why the settings were refused. Each names the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A setting that has no default here (the JWT secret in production).
    #[error("{name} is required")]
    Missing { name: &'static str },
    /// A value that does not parse, or that another setting rules out.
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    /// The settings could not be read for another reason (never expected:
    /// every setting takes a value).
    #[error("settings: {0}")]
    Unreadable(String),
}

/// A development secret, so `make run` works with no setup. Production
/// refuses to start without a real one.
const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-do-not-use-in-production";

/// The shortest `SIGNIN_JWT_SECRET` production accepts, in bytes (HS256
/// keys should be at least as long as the hash's 32-byte output, RFC 7518
/// section 3.2).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Secrets that are public, so anyone could sign an admin's token with
/// them: the development default, and the example the repository's scripts
/// use (the bench's default, `bench/lib/common.sh`). Production refuses
/// each of them, compared after trimming blanks. (The docs show no secret,
/// only how to generate one.)
const KNOWN_JWT_SECRETS: [&str; 2] = [
    DEVELOPMENT_JWT_SECRET,
    "bench-secret-0123456789-abcdefghijklmnop",
];

/// Why production refuses `secret` as `SIGNIN_JWT_SECRET`, if it does: a
/// public secret (see [`KNOWN_JWT_SECRETS`]) or one shorter than
/// [`MIN_JWT_SECRET_BYTES`].
pub fn production_secret_refusal(secret: &str) -> Option<String> {
    if KNOWN_JWT_SECRETS.contains(&secret.trim()) {
        return Some(
            "a published example or default secret is refused in production; \
             generate one (e.g. `openssl rand -base64 48`)"
                .into(),
        );
    }
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Some(format!(
            "must be at least {MIN_JWT_SECRET_BYTES} bytes in production"
        ));
    }
    None
}

mod settings;

use settings::variables;
pub use settings::{unset_empty_variables, Settings};

impl ConfigError {
    /// The configuration error behind a clap error about a setting's value,
    /// naming the setting's variable; `None` when the error is about
    /// something else (usage, `--help`, `--version`).
    pub fn from_clap(error: &clap::Error) -> Option<Self> {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        if !matches!(
            error.kind(),
            ErrorKind::ValueValidation | ErrorKind::InvalidValue
        ) {
            return None;
        }
        // "--rewards <LIST>"
        let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
            return None;
        };
        let long = arg.split_whitespace().next()?.strip_prefix("--")?;
        let variable = variables().iter().find(|v| v.long == long)?;
        let reason = match std::error::Error::source(error) {
            Some(source) => source.to_string(),
            None => match error.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(value)) => format!("{value:?} is not accepted"),
                _ => "not accepted".to_owned(),
            },
        };
        Some(ConfigError::Invalid {
            name: &variable.env,
            reason,
        })
    }

    fn from_clap_or_unreadable(error: clap::Error) -> Self {
        Self::from_clap(&error).unwrap_or_else(|| Self::Unreadable(error.to_string()))
    }
}

impl Config {
    /// Reads settings through `lookup` (variable name to value) instead of
    /// the process environment, so tests can pass their own. An empty
    /// value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut argv = vec!["signin-rewards".to_owned()];
        for variable in variables() {
            // Empty means "not set", except where it is a setting.
            let keep_empty = settings::EMPTY_IS_A_VALUE.contains(&variable.env.as_str());
            if let Some(value) = lookup(&variable.env).filter(|v| keep_empty || !v.is_empty()) {
                argv.push(format!("--{}={value}", variable.long));
            }
        }
        // Only what `lookup` gives: clap must not read the process
        // environment here.
        let command = Settings::augment_args(clap::Command::new("signin-rewards"))
            .mut_args(|arg| arg.env(None::<&'static str>));
        let matches = command
            .try_get_matches_from(argv)
            .map_err(ConfigError::from_clap_or_unreadable)?;
        let settings =
            Settings::from_arg_matches(&matches).map_err(ConfigError::from_clap_or_unreadable)?;
        Self::from_settings(settings)
    }

    /// Validates the settings together and fills in the defaults that
    /// depend on other settings (production's) or on the machine (pools).
    pub fn from_settings(settings: Settings) -> Result<Self, ConfigError> {
        let environment = settings.environment;
        let production = environment == Environment::Production;

        let jwt_secret = match settings.jwt_secret {
            Some(secret) if production => match production_secret_refusal(&secret) {
                Some(reason) => return Err(invalid("SIGNIN_JWT_SECRET", reason)),
                None => secret,
            },
            Some(secret) => secret,
            None if production => {
                return Err(ConfigError::Missing {
                    name: "SIGNIN_JWT_SECRET",
                })
            }
            None => DEVELOPMENT_JWT_SECRET.to_owned(),
        };

        let jwt_previous_secrets: Vec<String> = settings
            .jwt_previous_secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if production {
            if let Some(reason) = jwt_previous_secrets
                .iter()
                .find_map(|s| production_secret_refusal(s))
            {
                return Err(invalid("SIGNIN_JWT_PREVIOUS_SECRETS", reason));
            }
        }
        for (name, days) in [
            ("SIGNIN_SESSION_IDLE_DAYS", settings.session_idle_days),
            ("SIGNIN_SESSION_MAX_DAYS", settings.session_max_days),
        ] {
            if days == 0 {
                return Err(invalid(name, "a session must last at least a day".into()));
            }
        }
        let sessions = SessionLimits {
            idle: chrono::TimeDelta::days(i64::from(settings.session_idle_days)),
            max: chrono::TimeDelta::days(i64::from(settings.session_max_days)),
            refresh_grace: chrono::TimeDelta::from_std(settings.refresh_grace)
                .unwrap_or(chrono::TimeDelta::seconds(30)),
        };

        if production && settings.now.is_some() {
            return Err(invalid(
                "SIGNIN_NOW",
                "a test clock is refused when SIGNIN_ENV=production".into(),
            ));
        }

        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2) as u32;
        // PostgreSQL does best with a few connections per core.
        let pool_size = (cores * 4).max(8);

        let log_format = settings.log_format.unwrap_or(if production {
            LogFormat::Json
        } else {
            LogFormat::Text
        });

        Ok(Config {
            environment,
            database_url: settings.database_url,
            database_replica_url: settings.database_replica_url,
            replica_max_lag: settings.replica_max_lag,
            history_retention_months: match settings.history_retention_months {
                // The oldest date a make-up may reach must stay in a kept
                // month: N months keep at least 28·N days before this
                // month's first, and a user's date may be a day off UTC's.
                Some(months) if months * 28 < u32::from(settings.make_up_window_days) + 1 => {
                    return Err(invalid(
                        "SIGNIN_HISTORY_RETENTION_MONTHS",
                        format!(
                            "{months} months do not cover SIGNIN_MAKEUP_WINDOW_DAYS={}: keep at least {} months",
                            settings.make_up_window_days,
                            (u32::from(settings.make_up_window_days) + 1).div_ceil(28)
                        ),
                    ))
                }
                months => months,
            },
            redis_sentinel: match (settings.redis_sentinels, settings.redis_sentinel_master) {
                (Some(nodes), Some(master)) if !master.trim().is_empty() => Some(RedisSentinel {
                    nodes: nodes.0,
                    master: master.trim().to_owned(),
                }),
                (Some(_), _) => {
                    return Err(invalid(
                        "REDIS_SENTINEL_MASTER",
                        "REDIS_SENTINELS is set: name the master too".into(),
                    ))
                }
                (None, Some(_)) => {
                    return Err(invalid(
                        "REDIS_SENTINELS",
                        "REDIS_SENTINEL_MASTER is set: list the sentinels too".into(),
                    ))
                }
                (None, None) => None,
            },
            redis_url: settings.redis_url,
            redis_namespace: settings.redis_namespace,
            bind: settings.bind,
            worker_bind: settings.worker_bind,
            jwt_secret,
            jwt_previous_secrets,
            token_ttl: settings.token_ttl,
            sessions,
            timezone: settings.timezone,
            timezone_change_days: settings.timezone_change_days,
            webhook_timeout: settings.webhook_timeout,
            reminder_local_time: settings.reminder_local_time.0,
            rewards: settings.rewards,
            protection: StreakProtection {
                make_up_cost: settings.make_up_cost,
                make_up_window_days: settings.make_up_window_days,
                make_up_monthly_limit: settings.make_up_monthly_limit,
                freeze_cost: settings.freeze_cost,
                max_freezes: settings.max_freezes,
                milestones: settings.milestones,
            },
            now: settings.now,
            db_pool_size: settings.db_pool_size.unwrap_or(pool_size),
            redis_pool_size: settings.redis_pool_size.unwrap_or(pool_size),
            worker_concurrency: settings.worker_concurrency,
            relay_grace: settings.relay_grace,
            relay_interval: settings.relay_interval,
            log_format,
            graphql: GraphqlLimits {
                max_depth: settings.max_depth,
                max_complexity: settings.max_complexity,
                max_admin_complexity: settings.max_admin_complexity,
                max_fields: settings.max_fields,
                introspection: settings.introspection.unwrap_or(!production),
                playground: settings.playground.unwrap_or(!production),
                max_body_bytes: settings.max_body_bytes,
                persisted_bytes_per_hour: settings.apq_bytes_per_hour,
                header_read_timeout: settings.header_read_timeout,
                request_timeout: settings.request_timeout,
            },
            login_limits: LoginLimits {
                slow_after: settings.login_slow_after,
                refuse_after: settings.login_refuse_after,
                address_slow_after: settings.login_address_slow_after,
                address_refuse_after: settings.login_address_refuse_after,
                window: settings.login_window,
                registrations_per_address: settings.register_address_limit,
                registration_window: settings.register_window,
            },
            metrics: MetricsAccess {
                bind: settings.metrics_bind,
                token: settings.metrics_token,
                production,
            },
            hashing: HashLimits {
                // As many as the cores: a flood queues instead of running
                // hundreds of 19 MiB hashes at once, and the scheduler still
                // gives health checks and other requests their turn. One
                // fewer halved the logins of 2 cores
                // (bench/results/issue24-hash-slots).
                concurrent: settings
                    .max_concurrent_hashes
                    .unwrap_or(cores as usize)
                    .max(1),
                queue: settings.hash_queue,
            },
            trust_forwarded_for: settings.trust_forwarded_for,
            websocket: WebSocketLimits {
                max_connections: settings.max_ws_connections,
                max_per_address: settings.max_ws_per_address,
                max_per_user: settings.max_ws_per_user,
                max_subscriptions_per_connection: settings.max_subscriptions_per_connection,
                ping_interval: settings.ws_ping,
                recheck_interval: settings.ws_recheck,
            },
        })
    }
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
}

// The value parsers. Their messages are the ones the settings have always
// given; clap's error is turned into `NAME: message` by
// `ConfigError::from_clap`.

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
    fn history_retention_must_cover_the_make_up_window() {
        assert_eq!(config(&[]).unwrap().history_retention_months, None);
        let cases = [
            // (retention months, make-up window days, accepted)
            ("1", "7", true),
            ("1", "27", true),
            ("1", "28", false),
            ("2", "28", true),
            ("13", "366", false),
            ("14", "366", true),
        ];
        for (months, window, accepted) in cases {
            let result = config(&[
                ("SIGNIN_HISTORY_RETENTION_MONTHS", months),
                ("SIGNIN_MAKEUP_WINDOW_DAYS", window),
            ]);
            match (result, accepted) {
                (Ok(c), true) => {
                    assert_eq!(c.history_retention_months, Some(months.parse().unwrap()))
                }
                (Err(ConfigError::Invalid { name, .. }), false) => {
                    assert_eq!(name, "SIGNIN_HISTORY_RETENTION_MONTHS")
                }
                (other, _) => panic!("{months} months, {window} days: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults_are_the_contracts() {
        let c = config(&[]).unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(c.timezone, Tz::UTC);
        assert_eq!(c.rewards, RewardTable::default());
        assert_eq!(c.protection, StreakProtection::default());
        assert_eq!(c.token_ttl, Duration::from_secs(900));
        assert_eq!(c.sessions.idle, chrono::TimeDelta::days(30));
        assert_eq!(c.sessions.max, chrono::TimeDelta::days(90));
        assert_eq!(c.sessions.refresh_grace, chrono::TimeDelta::seconds(30));
        assert!(c.jwt_previous_secrets.is_empty());
        assert!(c.now.is_none());
        assert!(c.graphql.introspection && c.graphql.playground);
        assert!(c.database_replica_url.is_none());
        assert_eq!(c.replica_max_lag, Duration::from_secs(30));
    }

    /// README: `SIGNIN_MAX_CONCURRENT_HASHES` defaults to the machine's
    /// cores (one fewer halved the logins of 2 cores), at least 1.
    #[test]
    fn hashes_at_once_default_to_the_cores() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(config(&[]).unwrap().hashing.concurrent, cores);
        let set = |n| config(&[("SIGNIN_MAX_CONCURRENT_HASHES", n)]).unwrap();
        assert_eq!(set("3").hashing.concurrent, 3);
        assert_eq!(set("0").hashing.concurrent, 1);
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

    /// `/metrics` on `SIGNIN_BIND`: never anonymous in production; with a
    /// token, only for `Authorization: Bearer <token>`.
    #[test]
    fn metrics_on_the_api_address_need_the_token_in_production() {
        let access = |token: Option<&str>, production| MetricsAccess {
            bind: None,
            token: token.map(str::to_owned),
            production,
        };
        let cases: &[(Option<&str>, bool, Option<&str>, MetricsAnswer)] = &[
            (None, false, None, MetricsAnswer::Serve),
            (None, true, None, MetricsAnswer::NotServed),
            (
                None,
                true,
                Some("Bearer anything"),
                MetricsAnswer::NotServed,
            ),
            (Some("s3cret"), true, None, MetricsAnswer::Unauthorized),
            (
                Some("s3cret"),
                true,
                Some("Bearer s3cre"),
                MetricsAnswer::Unauthorized,
            ),
            (
                Some("s3cret"),
                true,
                Some("Bearer s3cret!"),
                MetricsAnswer::Unauthorized,
            ),
            (
                Some("s3cret"),
                true,
                Some("s3cret"),
                MetricsAnswer::Unauthorized,
            ),
            (
                Some("s3cret"),
                true,
                Some("Bearer s3cret"),
                MetricsAnswer::Serve,
            ),
            (Some("s3cret"), false, None, MetricsAnswer::Unauthorized),
            (
                Some("s3cret"),
                false,
                Some("Bearer s3cret"),
                MetricsAnswer::Serve,
            ),
        ];
        for (token, production, header, want) in cases {
            assert_eq!(
                access(*token, *production).on_api(*header),
                *want,
                "{token:?} {production} {header:?}"
            );
        }
    }

    /// Production refuses public secrets (the development default, the
    /// secrets this repository shows) and short ones, naming the variable.
    #[test]
    fn production_refuses_known_and_short_secrets() {
        let refused: &[(&str, &str)] = &[
            (DEVELOPMENT_JWT_SECRET, "published"),
            ("bench-secret-0123456789-abcdefghijklmnop", "published"),
            (
                " development-only-secret-do-not-use-in-production ",
                "published",
            ),
            ("short", "at least 32 bytes"),
            ("0123456789abcdef0123456789abcde", "at least 32 bytes"),
        ];
        for (secret, why) in refused {
            match config(&[("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", secret)]) {
                Err(
                    error @ ConfigError::Invalid {
                        name: "SIGNIN_JWT_SECRET",
                        ..
                    },
                ) => assert!(error.to_string().contains(why), "{secret:?}: {error}"),
                other => panic!("{secret:?}: {other:?}"),
            }
        }
        let fine = "0123456789abcdef0123456789abcdef";
        assert!(config(&[("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", fine)]).is_ok());
        // Development takes any secret (the default is its own).
        assert!(config(&[("SIGNIN_JWT_SECRET", DEVELOPMENT_JWT_SECRET)]).is_ok());
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
        assert_eq!(c.timezone_change_days, 7, "the default");
        assert_eq!(
            c.reminder_local_time.map(|t| t.to_string()),
            Some("20:00:00".into())
        );
        let c = config(&[("SIGNIN_REMINDER_LOCAL_TIME", "")]).unwrap();
        assert_eq!(c.reminder_local_time, None, "empty: no reminders");
        let c = config(&[("SIGNIN_TIMEZONE_CHANGE_DAYS", "0")]).unwrap();
        assert_eq!(c.timezone_change_days, 0);
        let c = config(&[
            ("SIGNIN_MAKEUP_COST", "0"),
            ("SIGNIN_MAKEUP_WINDOW_DAYS", "366"),
            ("SIGNIN_MAKEUP_MONTHLY_LIMIT", "31"),
            ("SIGNIN_FREEZE_COST", "2147483647"),
            ("SIGNIN_MAX_FREEZES", "0"),
            ("SIGNIN_MILESTONES", "30:300,7:50"),
        ])
        .unwrap();
        assert_eq!(
            (
                c.protection.make_up_cost,
                c.protection.make_up_window_days,
                c.protection.make_up_monthly_limit,
                c.protection.freeze_cost,
                c.protection.max_freezes,
                c.protection.milestones.to_string()
            ),
            (0, 366, 31, 2_147_483_647, 0, "7:50,30:300".to_owned())
        );
        for (name, value) in [
            ("SIGNIN_NOW", "yesterday"),
            ("SIGNIN_TIMEZONE", "Mars/Olympus"),
            ("SIGNIN_REWARDS", "1,2"),
            ("SIGNIN_ENV", "staging"),
            ("SIGNIN_BIND", "nowhere"),
            ("SIGNIN_WORKER_BIND", "nowhere"),
            ("SIGNIN_LOG_FORMAT", "xml"),
            ("SIGNIN_MAX_DEPTH", "deep"),
            ("SIGNIN_TOKEN_TTL_SECS", "-1"),
            ("SIGNIN_INTROSPECTION", "yes"),
            ("SIGNIN_TRUST_FORWARDED_FOR", "1"),
            ("SIGNIN_MAKEUP_COST", "-1"),
            ("SIGNIN_MAKEUP_COST", "2147483648"),
            ("SIGNIN_MAKEUP_WINDOW_DAYS", "367"),
            ("SIGNIN_MAKEUP_WINDOW_DAYS", "a week"),
            ("SIGNIN_TIMEZONE_CHANGE_DAYS", "367"),
            ("SIGNIN_TIMEZONE_CHANGE_DAYS", "-1"),
            ("SIGNIN_WEBHOOK_TIMEOUT_SECS", "0"),
            ("SIGNIN_REMINDER_LOCAL_TIME", "8pm"),
            ("SIGNIN_REMINDER_LOCAL_TIME", "25:00"),
            ("SIGNIN_WEBHOOK_TIMEOUT_SECS", "301"),
            ("SIGNIN_REPLICA_MAX_LAG_SECS", "0"),
            ("REDIS_SENTINELS", "localhost"),
            ("REDIS_SENTINELS", "a:1,b:99999"),
            ("REDIS_SENTINELS", ":26379"),
            ("REDIS_SENTINELS", ","),
            ("SIGNIN_REPLICA_MAX_LAG_SECS", "86401"),
            ("SIGNIN_HISTORY_RETENTION_MONTHS", "0"),
            ("SIGNIN_HISTORY_RETENTION_MONTHS", "1201"),
            ("SIGNIN_HISTORY_RETENTION_MONTHS", "a year"),
            ("SIGNIN_MAKEUP_MONTHLY_LIMIT", "-3"),
            ("SIGNIN_FREEZE_COST", "lots"),
            ("SIGNIN_MAX_FREEZES", "1000"),
            ("SIGNIN_MILESTONES", "7:50,7:60"),
            ("SIGNIN_MILESTONES", "0:50"),
            ("SIGNIN_MILESTONES", "7"),
        ] {
            match config(&[(name, value)]) {
                Err(ConfigError::Invalid { name: named, .. }) => assert_eq!(named, name),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn sentinels_come_with_their_master_name() {
        let c = config(&[
            (
                "REDIS_SENTINELS",
                " 10.0.0.1:26379, sentinel-b:26380 ,[::1]:26381",
            ),
            ("REDIS_SENTINEL_MASTER", "signin"),
        ])
        .unwrap();
        assert_eq!(
            c.redis_sentinel,
            Some(RedisSentinel {
                nodes: vec![
                    ("10.0.0.1".into(), 26379),
                    ("sentinel-b".into(), 26380),
                    ("::1".into(), 26381)
                ],
                master: "signin".into(),
            })
        );
        assert_eq!(config(&[]).unwrap().redis_sentinel, None);
        for (settings, named) in [
            (
                &[("REDIS_SENTINELS", "a:26379")][..],
                "REDIS_SENTINEL_MASTER",
            ),
            (
                &[
                    ("REDIS_SENTINELS", "a:26379"),
                    ("REDIS_SENTINEL_MASTER", " "),
                ][..],
                "REDIS_SENTINEL_MASTER",
            ),
            (
                &[("REDIS_SENTINEL_MASTER", "signin")][..],
                "REDIS_SENTINELS",
            ),
        ] {
            match config(settings) {
                Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, named, "{settings:?}"),
                other => panic!("{settings:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_value_is_named_with_the_reason() {
        let error = config(&[("SIGNIN_REWARDS", "1,2")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "SIGNIN_REWARDS: expected 7 comma-separated rewards, got 2"
        );
        let error = config(&[("SIGNIN_MAX_DEPTH", "deep")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "SIGNIN_MAX_DEPTH: \"deep\": invalid digit found in string"
        );
    }

    #[test]
    fn empty_means_unset_and_blanks_around_numbers_are_ignored() {
        let c = config(&[
            ("SIGNIN_ENV", ""),
            ("SIGNIN_NOW", ""),
            ("SIGNIN_BIND", ""),
            ("DATABASE_URL", ""),
            ("SIGNIN_MAX_DEPTH", " 20 "),
            ("SIGNIN_PLAYGROUND", " false"),
        ])
        .unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert!(c.now.is_none());
        assert_eq!(c.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(
            c.database_url,
            "postgres://postgres:postgres@127.0.0.1:5432/signin_rewards"
        );
        assert_eq!(c.graphql.max_depth, 20);
        assert!(!c.graphql.playground);
    }

    #[test]
    fn production_defaults_give_way_to_explicit_values() {
        let secret = "s".repeat(32);
        let c = config(&[
            ("SIGNIN_ENV", "production"),
            ("SIGNIN_JWT_SECRET", &secret),
            ("SIGNIN_LOG_FORMAT", "text"),
            ("SIGNIN_INTROSPECTION", "true"),
            ("SIGNIN_PLAYGROUND", "true"),
        ])
        .unwrap();
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(c.graphql.introspection && c.graphql.playground);
        assert_eq!(c.jwt_secret, secret);
    }

    /// A session of no days is refused, naming its variable.
    #[test]
    fn sessions_last_at_least_a_day() {
        for name in ["SIGNIN_SESSION_IDLE_DAYS", "SIGNIN_SESSION_MAX_DAYS"] {
            let error = Config::from_lookup(|var| (var == name).then(|| "0".to_owned()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(name), "{name}: {error}");
        }
    }

    /// Each variable reaches its own field (none swapped, none ignored).
    #[test]
    fn every_variable_reaches_its_field() {
        let c = config(&[
            ("DATABASE_URL", "postgres://db/x"),
            ("REDIS_URL", "redis://cache:1"),
            ("SIGNIN_BIND", "0.0.0.0:1"),
            ("SIGNIN_WORKER_BIND", "0.0.0.0:2"),
            ("SIGNIN_JWT_SECRET", "jwt"),
            ("SIGNIN_TOKEN_TTL_SECS", "3"),
            ("SIGNIN_TIMEZONE", "Europe/Paris"),
            ("SIGNIN_REWARDS", "1,2,3,4,5,6,7"),
            ("SIGNIN_NOW", "2026-01-01T00:00:00Z"),
            ("SIGNIN_REDIS_NAMESPACE", "ns"),
            ("SIGNIN_DB_POOL_SIZE", "4"),
            ("SIGNIN_REDIS_POOL_SIZE", "5"),
            ("SIGNIN_WORKER_CONCURRENCY", "6"),
            ("SIGNIN_RELAY_GRACE_SECS", "7"),
            ("SIGNIN_RELAY_INTERVAL_MS", "8"),
            ("SIGNIN_LOG_FORMAT", "json"),
            ("SIGNIN_MAX_DEPTH", "9"),
            ("SIGNIN_MAX_COMPLEXITY", "10"),
            ("SIGNIN_MAX_ADMIN_COMPLEXITY", "110"),
            ("SIGNIN_MAX_FIELDS", "111"),
            ("SIGNIN_INTROSPECTION", "false"),
            ("SIGNIN_PLAYGROUND", "false"),
            ("SIGNIN_MAX_BODY_BYTES", "11"),
            ("SIGNIN_REQUEST_TIMEOUT_MS", "12"),
            ("SIGNIN_LOGIN_SLOW_AFTER", "13"),
            ("SIGNIN_LOGIN_REFUSE_AFTER", "14"),
            ("SIGNIN_LOGIN_ADDRESS_SLOW_AFTER", "15"),
            ("SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER", "16"),
            ("SIGNIN_LOGIN_WINDOW_SECS", "17"),
            ("SIGNIN_TRUST_FORWARDED_FOR", "true"),
            ("SIGNIN_MAX_WS_CONNECTIONS", "18"),
            ("SIGNIN_MAX_SUBSCRIPTIONS_PER_CONNECTION", "19"),
            ("SIGNIN_WS_PING_SECS", "20"),
            ("SIGNIN_WS_RECHECK_MS", "21"),
            ("SIGNIN_REGISTER_ADDRESS_LIMIT", "22"),
            ("SIGNIN_REGISTER_WINDOW_SECS", "23"),
            ("SIGNIN_MAX_CONCURRENT_HASHES", "24"),
            ("SIGNIN_HASH_QUEUE", "25"),
            ("SIGNIN_METRICS_BIND", "0.0.0.0:26"),
            ("SIGNIN_METRICS_TOKEN", "27"),
        ])
        .unwrap();
        assert_eq!(
            (
                c.metrics.bind.map(|a| a.to_string()).as_deref(),
                c.metrics.token.as_deref()
            ),
            (Some("0.0.0.0:26"), Some("27"))
        );
        assert_eq!(
            (
                c.login_limits.registrations_per_address,
                c.login_limits.registration_window,
                c.hashing
            ),
            (
                22,
                Duration::from_secs(23),
                HashLimits {
                    concurrent: 24,
                    queue: 25
                }
            )
        );
        assert_eq!(c.database_url, "postgres://db/x");
        assert_eq!(c.redis_url, "redis://cache:1");
        assert_eq!(c.bind.to_string(), "0.0.0.0:1");
        assert_eq!(
            c.worker_bind.map(|a| a.to_string()).as_deref(),
            Some("0.0.0.0:2")
        );
        assert_eq!(c.jwt_secret, "jwt");
        assert_eq!(c.token_ttl, Duration::from_secs(3));
        assert_eq!(c.timezone, chrono_tz::Europe::Paris);
        assert_eq!(c.rewards.as_array(), [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            c.now.map(|n| n.to_rfc3339()).as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
        assert_eq!(c.redis_namespace, "ns");
        assert_eq!((c.db_pool_size, c.redis_pool_size), (4, 5));
        assert_eq!(c.worker_concurrency, 6);
        assert_eq!(c.relay_grace, Duration::from_secs(7));
        assert_eq!(c.relay_interval, Duration::from_millis(8));
        assert_eq!(c.log_format, LogFormat::Json);
        let g = &c.graphql;
        assert_eq!((g.max_depth, g.max_complexity), (9, 10));
        assert_eq!((g.max_admin_complexity, g.max_fields), (110, 111));
        assert!(!g.introspection && !g.playground);
        assert_eq!(g.max_body_bytes, 11);
        assert_eq!(g.request_timeout, Duration::from_millis(12));
        let l = &c.login_limits;
        assert_eq!(
            (
                l.slow_after,
                l.refuse_after,
                l.address_slow_after,
                l.address_refuse_after
            ),
            (13, 14, 15, 16)
        );
        assert_eq!(l.window, Duration::from_secs(17));
        assert!(c.trust_forwarded_for);
        let w = &c.websocket;
        assert_eq!(
            (w.max_connections, w.max_subscriptions_per_connection),
            (18, 19)
        );
        assert_eq!(w.ping_interval, Duration::from_secs(20));
        assert_eq!(w.recheck_interval, Duration::from_millis(21));
    }

    /// `from_lookup` and the error mapping find a setting by its variable
    /// and flag: every argument must have both, each its own.
    #[test]
    fn every_setting_has_its_own_variable_and_flag() {
        let command = Settings::augment_args(clap::Command::new("settings"));
        command.clone().debug_assert();
        let arguments = command.get_arguments().count();
        assert_eq!(variables().len(), arguments);
        let mut names: Vec<&str> = variables().iter().map(|v| v.env.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), arguments);
    }
}
