//! Every setting, read once at start and validated: declared once in
//! [`Settings`] (flag, environment variable, default, parser, help), then
//! checked together into the [`Config`] the rest of the service uses.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::{Args, FromArgMatches};

use crate::domain::rewards::{RewardTable, RewardTableError};

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

/// Limits of GraphQL subscriptions over WebSocket.
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

/// Limits checked on each GraphQL request.
#[derive(Debug, Clone)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
    pub playground: bool,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
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

/// Every setting as given: one field per variable, with its flag, default
/// and parser. Flattened into each command that needs a [`Config`], so
/// `--help` lists them all; turned into a `Config` by
/// [`Config::from_settings`], which applies the rules that span settings.
///
/// A flag wins over its variable, which wins over the default. An empty
/// variable counts as unset (see [`unset_empty_variables`]).
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Settings (each flag or its environment variable)")]
pub struct Settings {
    /// PostgreSQL connection URL.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        value_name = "URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/signin_rewards",
        hide_env_values = true
    )]
    database_url: String,

    /// Redis connection URL (job queue, events, counters).
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        value_name = "URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    redis_url: String,

    /// HTTP listen address.
    #[arg(
        long = "bind",
        env = "SIGNIN_BIND",
        value_name = "ADDRESS",
        default_value = "127.0.0.1:8000",
        value_parser = trimmed::<SocketAddr>
    )]
    bind: SocketAddr,

    /// `development` or `production` (JSON logs, no playground or
    /// introspection, strict secrets, no test clock).
    #[arg(
        long = "env",
        env = "SIGNIN_ENV",
        value_name = "ENV",
        default_value = "development",
        value_parser = environment
    )]
    environment: Environment,

    /// Token signing key; required and at least 32 bytes in production.
    ///
    /// [default: a development secret]
    #[arg(
        long = "jwt-secret",
        env = "SIGNIN_JWT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    jwt_secret: Option<String>,

    /// Token lifetime, in seconds.
    #[arg(
        long = "token-ttl-secs",
        env = "SIGNIN_TOKEN_TTL_SECS",
        value_name = "SECS",
        default_value = "86400",
        value_parser = seconds
    )]
    token_ttl: Duration,

    /// IANA time zone in which a "day" is counted.
    #[arg(
        long = "timezone",
        env = "SIGNIN_TIMEZONE",
        value_name = "ZONE",
        default_value = "UTC",
        value_parser = time_zone
    )]
    timezone: Tz,

    /// Rewards of cycle days 1..7, comma-separated.
    #[arg(
        long = "rewards",
        env = "SIGNIN_REWARDS",
        value_name = "LIST",
        default_value = "10,10,20,20,30,30,100",
        value_parser = reward_table
    )]
    rewards: RewardTable,

    /// RFC 3339 instant the service clock starts at: a test clock, logged
    /// loudly, refused in production.
    ///
    /// [default: unset]
    #[arg(long = "now", env = "SIGNIN_NOW", value_name = "INSTANT", value_parser = instant)]
    now: Option<DateTime<Utc>>,

    /// Prefix of every Redis key and queue name of this install.
    #[arg(
        long = "redis-namespace",
        env = "SIGNIN_REDIS_NAMESPACE",
        value_name = "PREFIX",
        default_value = "signin"
    )]
    redis_namespace: String,

    /// PostgreSQL connections in the pool.
    ///
    /// [default: 4 × cores (≥ 8)]
    #[arg(
        long = "db-pool-size",
        env = "SIGNIN_DB_POOL_SIZE",
        value_name = "N",
        value_parser = trimmed::<u32>
    )]
    db_pool_size: Option<u32>,

    /// Redis connections in the pool.
    ///
    /// [default: 4 × cores (≥ 8)]
    #[arg(
        long = "redis-pool-size",
        env = "SIGNIN_REDIS_POOL_SIZE",
        value_name = "N",
        value_parser = trimmed::<u32>
    )]
    redis_pool_size: Option<u32>,

    /// Reward jobs in flight per worker.
    #[arg(
        long = "worker-concurrency",
        env = "SIGNIN_WORKER_CONCURRENCY",
        value_name = "N",
        default_value = "16",
        value_parser = trimmed::<usize>
    )]
    worker_concurrency: usize,

    /// How long an uncredited sign-in waits before the relay enqueues it
    /// again, in seconds.
    #[arg(
        long = "relay-grace-secs",
        env = "SIGNIN_RELAY_GRACE_SECS",
        value_name = "SECS",
        default_value = "30",
        value_parser = seconds
    )]
    relay_grace: Duration,

    /// How often the relay looks for uncredited sign-ins, in milliseconds.
    #[arg(
        long = "relay-interval-ms",
        env = "SIGNIN_RELAY_INTERVAL_MS",
        value_name = "MS",
        default_value = "5000",
        value_parser = milliseconds
    )]
    relay_interval: Duration,

    /// Failed logins per username in the window before each further try
    /// is slowed down.
    #[arg(
        long = "login-slow-after",
        env = "SIGNIN_LOGIN_SLOW_AFTER",
        value_name = "N",
        default_value = "3",
        value_parser = trimmed::<u32>
    )]
    login_slow_after: u32,

    /// Failed logins per username in the window before logins are refused
    /// (`RATE_LIMITED`).
    #[arg(
        long = "login-refuse-after",
        env = "SIGNIN_LOGIN_REFUSE_AFTER",
        value_name = "N",
        default_value = "10",
        value_parser = trimmed::<u32>
    )]
    login_refuse_after: u32,

    /// The window in which failed logins are counted, in seconds.
    #[arg(
        long = "login-window-secs",
        env = "SIGNIN_LOGIN_WINDOW_SECS",
        value_name = "SECS",
        default_value = "900",
        value_parser = seconds
    )]
    login_window: Duration,

    /// Failed logins per client address in the window before each further
    /// try is slowed down.
    #[arg(
        long = "login-address-slow-after",
        env = "SIGNIN_LOGIN_ADDRESS_SLOW_AFTER",
        value_name = "N",
        default_value = "20",
        value_parser = trimmed::<u32>
    )]
    login_address_slow_after: u32,

    /// Failed logins per client address in the window before logins are
    /// refused.
    #[arg(
        long = "login-address-refuse-after",
        env = "SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER",
        value_name = "N",
        default_value = "100",
        value_parser = trimmed::<u32>
    )]
    login_address_refuse_after: u32,

    /// Deepest GraphQL query accepted, checked before execution.
    #[arg(
        long = "max-depth",
        env = "SIGNIN_MAX_DEPTH",
        value_name = "N",
        default_value = "15",
        value_parser = trimmed::<usize>
    )]
    max_depth: usize,

    /// Most complex GraphQL query accepted, checked before execution.
    #[arg(
        long = "max-complexity",
        env = "SIGNIN_MAX_COMPLEXITY",
        value_name = "N",
        default_value = "1000",
        value_parser = trimmed::<usize>
    )]
    max_complexity: usize,

    /// Largest HTTP request body accepted, in bytes.
    #[arg(
        long = "max-body-bytes",
        env = "SIGNIN_MAX_BODY_BYTES",
        value_name = "BYTES",
        default_value = "262144",
        value_parser = trimmed::<usize>
    )]
    max_body_bytes: usize,

    /// How long an HTTP request may take, in milliseconds.
    #[arg(
        long = "request-timeout-ms",
        env = "SIGNIN_REQUEST_TIMEOUT_MS",
        value_name = "MS",
        default_value = "10000",
        value_parser = milliseconds
    )]
    request_timeout: Duration,

    /// Answer GraphQL introspection: `true` or `false`.
    ///
    /// [default: on in development, off in production]
    #[arg(
        long = "introspection",
        env = "SIGNIN_INTROSPECTION",
        value_name = "BOOL",
        action = clap::ArgAction::Set,
        value_parser = trimmed::<bool>
    )]
    introspection: Option<bool>,

    /// Serve GraphiQL at /playground: `true` or `false`.
    ///
    /// [default: on in development, off in production]
    #[arg(
        long = "playground",
        env = "SIGNIN_PLAYGROUND",
        value_name = "BOOL",
        action = clap::ArgAction::Set,
        value_parser = trimmed::<bool>
    )]
    playground: Option<bool>,

    /// Log format, `text` or `json` (`RUST_LOG` filters).
    ///
    /// [default: text (json in production)]
    #[arg(
        long = "log-format",
        env = "SIGNIN_LOG_FORMAT",
        value_name = "FORMAT",
        value_parser = log_format
    )]
    log_format: Option<LogFormat>,

    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it): `true` or `false`.
    #[arg(
        long = "trust-forwarded-for",
        env = "SIGNIN_TRUST_FORWARDED_FOR",
        value_name = "BOOL",
        default_value = "false",
        action = clap::ArgAction::Set,
        value_parser = trimmed::<bool>
    )]
    trust_forwarded_for: bool,

    /// WebSocket connections per process.
    #[arg(
        long = "max-ws-connections",
        env = "SIGNIN_MAX_WS_CONNECTIONS",
        value_name = "N",
        default_value = "10000",
        value_parser = trimmed::<usize>
    )]
    max_ws_connections: usize,

    /// Subscriptions per WebSocket connection.
    #[arg(
        long = "max-subscriptions-per-connection",
        env = "SIGNIN_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        value_name = "N",
        default_value = "10",
        value_parser = trimmed::<usize>
    )]
    max_subscriptions_per_connection: usize,

    /// How often the server pings each WebSocket connection, in seconds.
    #[arg(
        long = "ws-ping-secs",
        env = "SIGNIN_WS_PING_SECS",
        value_name = "SECS",
        default_value = "15",
        value_parser = seconds
    )]
    ws_ping: Duration,

    /// How often a WebSocket connection's token is checked again
    /// (deletion, expiry, password change), in milliseconds.
    #[arg(
        long = "ws-recheck-ms",
        env = "SIGNIN_WS_RECHECK_MS",
        value_name = "MS",
        default_value = "30000",
        value_parser = milliseconds
    )]
    ws_recheck: Duration,

    /// Export traces over OTLP/HTTP to this collector (the other `OTEL_*`
    /// variables apply).
    ///
    /// [default: unset]
    #[arg(
        long = "otlp-endpoint",
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "URL"
    )]
    otlp_endpoint: Option<String>,

    /// Where a `worker` process serves `/healthz`, `/readyz` and `/metrics`.
    ///
    /// [default: unset]
    #[arg(
        long = "worker-bind",
        env = "SIGNIN_WORKER_BIND",
        value_name = "ADDRESS",
        value_parser = exact::<SocketAddr>
    )]
    worker_bind: Option<SocketAddr>,
}

impl Settings {
    /// The OTLP collector to export traces to, if any. The exporter reads
    /// it (and the other `OTEL_*` variables) from the environment itself.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint.as_deref()
    }
}

/// A setting's environment variable and the long flag that sets it too.
struct Variable {
    env: String,
    long: String,
}

/// Every setting's variable and flag, read once from the [`Settings`]
/// declaration itself.
fn variables() -> &'static [Variable] {
    static VARIABLES: OnceLock<Vec<Variable>> = OnceLock::new();
    VARIABLES.get_or_init(|| {
        Settings::augment_args(clap::Command::new("settings"))
            .get_arguments()
            .filter_map(|arg| {
                Some(Variable {
                    env: arg.get_env()?.to_str()?.to_owned(),
                    long: arg.get_long()?.to_owned(),
                })
            })
            .collect()
    })
}

/// Removes the settings' variables that are set but empty from the
/// process environment, so that they count as unset (`VAR=` in a `.env` or
/// a compose file), as they always have; clap would parse the empty value.
/// Call at start, before any other thread runs.
pub fn unset_empty_variables() {
    for variable in variables() {
        if std::env::var_os(&variable.env).is_some_and(|value| value.is_empty()) {
            std::env::remove_var(&variable.env);
        }
    }
}

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
    /// Reads the process environment (after `.env`, if present). An empty
    /// variable counts as unset. `main` reads the same settings through
    /// its command line instead, so that flags work too.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (variable name to value) instead of
    /// the process environment, so tests can pass their own. An empty
    /// value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut argv = vec!["signin-rewards".to_owned()];
        for variable in variables() {
            if let Some(value) = lookup(&variable.env).filter(|v| !v.is_empty()) {
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
            redis_url: settings.redis_url,
            redis_namespace: settings.redis_namespace,
            bind: settings.bind,
            worker_bind: settings.worker_bind,
            jwt_secret,
            token_ttl: settings.token_ttl,
            timezone: settings.timezone,
            rewards: settings.rewards,
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
                introspection: settings.introspection.unwrap_or(!production),
                playground: settings.playground.unwrap_or(!production),
                max_body_bytes: settings.max_body_bytes,
                request_timeout: settings.request_timeout,
            },
            login_limits: LoginLimits {
                slow_after: settings.login_slow_after,
                refuse_after: settings.login_refuse_after,
                address_slow_after: settings.login_address_slow_after,
                address_refuse_after: settings.login_address_refuse_after,
                window: settings.login_window,
            },
            trust_forwarded_for: settings.trust_forwarded_for,
            websocket: WebSocketLimits {
                max_connections: settings.max_ws_connections,
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

fn environment(raw: &str) -> Result<Environment, String> {
    match raw {
        "development" => Ok(Environment::Development),
        "production" => Ok(Environment::Production),
        other => Err(format!("{other:?} is not development or production")),
    }
}

fn log_format(raw: &str) -> Result<LogFormat, String> {
    match raw {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("{other:?} is not text or json")),
    }
}

fn instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 instant: {e}"))
}

fn time_zone(raw: &str) -> Result<Tz, String> {
    raw.parse()
        .map_err(|_| format!("{raw:?} is not an IANA time zone"))
}

fn reward_table(raw: &str) -> Result<RewardTable, String> {
    raw.parse().map_err(|e: RewardTableError| e.to_string())
}

/// A whole number of seconds.
fn seconds(raw: &str) -> Result<Duration, String> {
    trimmed(raw).map(Duration::from_secs)
}

/// A whole number of milliseconds.
fn milliseconds(raw: &str) -> Result<Duration, String> {
    trimmed(raw).map(Duration::from_millis)
}

/// `T` from the value with surrounding blanks ignored.
fn trimmed<T: FromStr>(raw: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    raw.trim().parse().map_err(|e| format!("{raw:?}: {e}"))
}

/// `T` from the value as it is.
fn exact<T: FromStr>(raw: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    raw.parse().map_err(|e| format!("{raw:?}: {e}"))
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
        ] {
            match config(&[(name, value)]) {
                Err(ConfigError::Invalid { name: named, .. }) => assert_eq!(named, name),
                other => panic!("{name}={value}: {other:?}"),
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
        ])
        .unwrap();
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
