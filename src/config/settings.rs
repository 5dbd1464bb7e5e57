//! The settings as declared: one field per setting with its flag,
//! environment variable, default, parser and help text (clap derive), and
//! the parsers. `Config::from_settings` (in the parent module) checks them
//! together.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Args;

use super::{Environment, LogFormat};
use crate::domain::rewards::{RewardTable, RewardTableError};
use crate::domain::streak::protection::{
    Milestones, MilestonesError, MAX_COST, MAX_WINDOW_OR_FREEZES,
};

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
    pub(super) database_url: String,

    /// PostgreSQL connection URL of a streaming replica (hot standby) that
    /// serves admin reads: history, stats, user search, the audit log and
    /// the CSV exports. Unset: every read goes to `DATABASE_URL`.
    ///
    /// [default: unset]
    #[arg(
        long = "database-replica-url",
        env = "DATABASE_REPLICA_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(super) database_replica_url: Option<String>,

    /// Seconds the replica may lag behind the primary before admin reads
    /// go back to the primary (1 to 86400).
    #[arg(
        long = "replica-max-lag-secs",
        env = "SIGNIN_REPLICA_MAX_LAG_SECS",
        value_name = "SECS",
        default_value = "30",
        value_parser = replica_max_lag
    )]
    pub(super) replica_max_lag: Duration,

    /// Months of sign-ins kept in the live tables (1 to 1200); older
    /// months are archived: detached into the schema history_archive, with
    /// their ledger sums kept (the ledger is kept one month longer). Must
    /// cover the make-up window. Unset: everything is kept.
    ///
    /// [default: unset]
    #[arg(
        long = "history-retention-months",
        env = "SIGNIN_HISTORY_RETENTION_MONTHS",
        value_name = "MONTHS",
        value_parser = retention_months
    )]
    pub(super) history_retention_months: Option<u32>,

    /// Redis connection URL (job queue, events, counters).
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        value_name = "URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub(super) redis_url: String,

    /// Redis Sentinel nodes, comma-separated `host:port`: Redis is then the
    /// master that the sentinels name `REDIS_SENTINEL_MASTER`, asked again
    /// after each failure (`REDIS_URL` then gives only the database number
    /// and credentials).
    ///
    /// [default: unset]
    #[arg(
        long = "redis-sentinels",
        env = "REDIS_SENTINELS",
        value_name = "HOST:PORT,...",
        value_parser = sentinel_nodes
    )]
    pub(super) redis_sentinels: Option<SentinelNodes>,

    /// The master's name in the sentinels' configuration (with
    /// `REDIS_SENTINELS`).
    ///
    /// [default: unset]
    #[arg(
        long = "redis-sentinel-master",
        env = "REDIS_SENTINEL_MASTER",
        value_name = "NAME"
    )]
    pub(super) redis_sentinel_master: Option<String>,

    /// HTTP listen address.
    #[arg(
        long = "bind",
        env = "SIGNIN_BIND",
        value_name = "ADDRESS",
        default_value = "127.0.0.1:8000",
        value_parser = trimmed::<SocketAddr>
    )]
    pub(super) bind: SocketAddr,

    /// `development` or `production` (JSON logs, no playground or
    /// introspection, strict secrets, no test clock).
    #[arg(
        long = "env",
        env = "SIGNIN_ENV",
        value_name = "ENV",
        default_value = "development",
        value_parser = environment
    )]
    pub(super) environment: Environment,

    /// Token signing key; required and at least 32 bytes in production.
    ///
    /// [default: a development secret]
    #[arg(
        long = "jwt-secret",
        env = "SIGNIN_JWT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub(super) jwt_secret: Option<String>,

    /// Earlier signing keys, comma-separated: they still verify the access
    /// tokens they signed (rotation without signing anyone out).
    ///
    /// [default: empty]
    #[arg(
        long = "jwt-previous-secrets",
        env = "SIGNIN_JWT_PREVIOUS_SECRETS",
        value_name = "SECRETS",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub(super) jwt_previous_secrets: String,

    /// Access token lifetime, in seconds.
    #[arg(
        long = "token-ttl-secs",
        env = "SIGNIN_TOKEN_TTL_SECS",
        value_name = "SECS",
        default_value = "900",
        value_parser = seconds
    )]
    pub(super) token_ttl: Duration,

    /// Days a session lasts without a login or refresh using it.
    #[arg(
        long = "session-idle-days",
        env = "SIGNIN_SESSION_IDLE_DAYS",
        value_name = "DAYS",
        default_value = "30",
        value_parser = trimmed::<u32>
    )]
    pub(super) session_idle_days: u32,

    /// Days a session lasts at most after its login, however often refreshed.
    #[arg(
        long = "session-max-days",
        env = "SIGNIN_SESSION_MAX_DAYS",
        value_name = "DAYS",
        default_value = "90",
        value_parser = trimmed::<u32>
    )]
    pub(super) session_max_days: u32,

    /// Seconds after a refresh during which its spent refresh token answers
    /// the same new pair again (two tabs refreshing at once).
    #[arg(
        long = "refresh-grace-secs",
        env = "SIGNIN_REFRESH_GRACE_SECS",
        value_name = "SECS",
        default_value = "30",
        value_parser = seconds
    )]
    pub(super) refresh_grace: Duration,

    /// Local time (HH:MM, in each user's zone) of the streak reminders;
    /// empty turns them off.
    #[arg(
        long = "reminder-local-time",
        env = "SIGNIN_REMINDER_LOCAL_TIME",
        value_name = "HH:MM",
        default_value = "20:00",
        value_parser = reminder_time
    )]
    pub(super) reminder_local_time: ReminderTime,

    /// Seconds a webhook attempt may take (1 to 300).
    #[arg(
        long = "webhook-timeout-secs",
        env = "SIGNIN_WEBHOOK_TIMEOUT_SECS",
        value_name = "SECS",
        default_value = "15",
        value_parser = webhook_timeout
    )]
    pub(super) webhook_timeout: Duration,

    /// IANA time zone in which a "day" is counted for users who chose none.
    #[arg(
        long = "timezone",
        env = "SIGNIN_TIMEZONE",
        value_name = "ZONE",
        default_value = "UTC",
        value_parser = time_zone
    )]
    pub(super) timezone: Tz,

    /// Days (of 24 hours) a user waits between two changes of their time
    /// zone (0 to 366; 0: no wait).
    #[arg(
        long = "timezone-change-days",
        env = "SIGNIN_TIMEZONE_CHANGE_DAYS",
        value_name = "DAYS",
        default_value = "7",
        value_parser = window_or_freezes
    )]
    pub(super) timezone_change_days: u16,

    /// Rewards of cycle days 1..7, comma-separated.
    #[arg(
        long = "rewards",
        env = "SIGNIN_REWARDS",
        value_name = "LIST",
        default_value = "10,10,20,20,30,30,100",
        value_parser = reward_table
    )]
    pub(super) rewards: RewardTable,

    /// Points a make-up sign-in costs.
    #[arg(
        long = "makeup-cost",
        env = "SIGNIN_MAKEUP_COST",
        value_name = "POINTS",
        default_value = "50",
        value_parser = cost
    )]
    pub(super) make_up_cost: u32,

    /// How many days back a make-up sign-in may reach (0 to 366).
    #[arg(
        long = "makeup-window-days",
        env = "SIGNIN_MAKEUP_WINDOW_DAYS",
        value_name = "DAYS",
        default_value = "7",
        value_parser = window_or_freezes
    )]
    pub(super) make_up_window_days: u16,

    /// Make-up sign-ins per user per calendar month.
    #[arg(
        long = "makeup-monthly-limit",
        env = "SIGNIN_MAKEUP_MONTHLY_LIMIT",
        value_name = "N",
        default_value = "3",
        value_parser = trimmed::<u16>
    )]
    pub(super) make_up_monthly_limit: u16,

    /// Points a streak freeze costs.
    #[arg(
        long = "freeze-cost",
        env = "SIGNIN_FREEZE_COST",
        value_name = "POINTS",
        default_value = "200",
        value_parser = cost
    )]
    pub(super) freeze_cost: u32,

    /// Streak freezes a user may hold at once (0 to 366).
    #[arg(
        long = "max-freezes",
        env = "SIGNIN_MAX_FREEZES",
        value_name = "N",
        default_value = "2",
        value_parser = window_or_freezes
    )]
    pub(super) max_freezes: u16,

    /// Milestone bonuses: comma-separated `streak:bonus` pairs with distinct
    /// positive streaks, e.g. `7:50,30:300,100:1000`.
    ///
    /// [default: empty]
    #[arg(
        long = "milestones",
        env = "SIGNIN_MILESTONES",
        value_name = "LIST",
        default_value = "",
        hide_default_value = true,
        value_parser = milestones
    )]
    pub(super) milestones: Milestones,

    /// RFC 3339 instant the service clock starts at: a test clock, logged
    /// loudly, refused in production.
    ///
    /// [default: unset]
    #[arg(long = "now", env = "SIGNIN_NOW", value_name = "INSTANT", value_parser = instant)]
    pub(super) now: Option<DateTime<Utc>>,

    /// Prefix of every Redis key and queue name of this install.
    #[arg(
        long = "redis-namespace",
        env = "SIGNIN_REDIS_NAMESPACE",
        value_name = "PREFIX",
        default_value = "signin"
    )]
    pub(super) redis_namespace: String,

    /// PostgreSQL connections in the pool.
    ///
    /// [default: 4 × cores (≥ 8)]
    #[arg(
        long = "db-pool-size",
        env = "SIGNIN_DB_POOL_SIZE",
        value_name = "N",
        value_parser = trimmed::<u32>
    )]
    pub(super) db_pool_size: Option<u32>,

    /// Redis connections in the pool.
    ///
    /// [default: 4 × cores (≥ 8)]
    #[arg(
        long = "redis-pool-size",
        env = "SIGNIN_REDIS_POOL_SIZE",
        value_name = "N",
        value_parser = trimmed::<u32>
    )]
    pub(super) redis_pool_size: Option<u32>,

    /// Reward jobs in flight per worker.
    #[arg(
        long = "worker-concurrency",
        env = "SIGNIN_WORKER_CONCURRENCY",
        value_name = "N",
        default_value = "16",
        value_parser = trimmed::<usize>
    )]
    pub(super) worker_concurrency: usize,

    /// How long an uncredited sign-in waits before the relay enqueues it
    /// again, in seconds.
    #[arg(
        long = "relay-grace-secs",
        env = "SIGNIN_RELAY_GRACE_SECS",
        value_name = "SECS",
        default_value = "30",
        value_parser = seconds
    )]
    pub(super) relay_grace: Duration,

    /// How often the relay looks for uncredited sign-ins, in milliseconds.
    #[arg(
        long = "relay-interval-ms",
        env = "SIGNIN_RELAY_INTERVAL_MS",
        value_name = "MS",
        default_value = "5000",
        value_parser = milliseconds
    )]
    pub(super) relay_interval: Duration,

    /// Failed logins per username in the window before each further try
    /// is slowed down.
    #[arg(
        long = "login-slow-after",
        env = "SIGNIN_LOGIN_SLOW_AFTER",
        value_name = "N",
        default_value = "3",
        value_parser = trimmed::<u32>
    )]
    pub(super) login_slow_after: u32,

    /// Failed logins per username in the window before logins are refused
    /// (`RATE_LIMITED`).
    #[arg(
        long = "login-refuse-after",
        env = "SIGNIN_LOGIN_REFUSE_AFTER",
        value_name = "N",
        default_value = "10",
        value_parser = trimmed::<u32>
    )]
    pub(super) login_refuse_after: u32,

    /// The window in which failed logins are counted, in seconds.
    #[arg(
        long = "login-window-secs",
        env = "SIGNIN_LOGIN_WINDOW_SECS",
        value_name = "SECS",
        default_value = "900",
        value_parser = seconds
    )]
    pub(super) login_window: Duration,

    /// Failed logins per client address in the window before each further
    /// try is slowed down.
    #[arg(
        long = "login-address-slow-after",
        env = "SIGNIN_LOGIN_ADDRESS_SLOW_AFTER",
        value_name = "N",
        default_value = "20",
        value_parser = trimmed::<u32>
    )]
    pub(super) login_address_slow_after: u32,

    /// Failed logins per client address in the window before logins are
    /// refused.
    #[arg(
        long = "login-address-refuse-after",
        env = "SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER",
        value_name = "N",
        default_value = "100",
        value_parser = trimmed::<u32>
    )]
    pub(super) login_address_refuse_after: u32,

    /// Registrations per client address in the window before further ones
    /// are refused (`RATE_LIMITED` with `retryAfter`).
    #[arg(
        long = "register-address-limit",
        env = "SIGNIN_REGISTER_ADDRESS_LIMIT",
        value_name = "N",
        default_value = "20",
        value_parser = trimmed::<u32>
    )]
    pub(super) register_address_limit: u32,

    /// The window in which registrations per address are counted, in
    /// seconds.
    #[arg(
        long = "register-window-secs",
        env = "SIGNIN_REGISTER_WINDOW_SECS",
        value_name = "SECS",
        default_value = "3600",
        value_parser = seconds
    )]
    pub(super) register_window: Duration,

    /// Password hashes (Argon2id, 19 MiB each) computed at once by this
    /// process, on blocking threads (at least 1).
    ///
    /// [default: the machine's cores]
    #[arg(
        long = "max-concurrent-hashes",
        env = "SIGNIN_MAX_CONCURRENT_HASHES",
        value_name = "N",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_concurrent_hashes: Option<usize>,

    /// Password hashes that may wait for one of those slots; past that,
    /// `register`, `login` and `changePassword` answer `RATE_LIMITED`.
    #[arg(
        long = "hash-queue",
        env = "SIGNIN_HASH_QUEUE",
        value_name = "N",
        default_value = "32",
        value_parser = trimmed::<usize>
    )]
    pub(super) hash_queue: usize,

    /// Deepest GraphQL query accepted, checked before execution.
    #[arg(
        long = "max-depth",
        env = "SIGNIN_MAX_DEPTH",
        value_name = "N",
        default_value = "15",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_depth: usize,

    /// Most complex GraphQL operation accepted from users and anonymous
    /// callers, checked before execution: 1 per field, and a list field
    /// its most items times each item's selection (a year of history with
    /// every field costs 2,929).
    #[arg(
        long = "max-complexity",
        env = "SIGNIN_MAX_COMPLEXITY",
        value_name = "N",
        default_value = "5000",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_complexity: usize,

    /// Most complex GraphQL operation accepted from an admin when it
    /// selects admin fields (the contract's largest, 1000 users over 366
    /// days, costs about 3 million).
    #[arg(
        long = "max-admin-complexity",
        env = "SIGNIN_MAX_ADMIN_COMPLEXITY",
        value_name = "N",
        default_value = "5000000",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_admin_complexity: usize,

    /// Most fields one GraphQL document may select, its fragments
    /// expanded and aliases counted: checked on the parse, before
    /// validation.
    #[arg(
        long = "max-fields",
        env = "SIGNIN_MAX_FIELDS",
        value_name = "N",
        default_value = "1000",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_fields: usize,

    /// Largest HTTP request body accepted, in bytes.
    #[arg(
        long = "max-body-bytes",
        env = "SIGNIN_MAX_BODY_BYTES",
        value_name = "BYTES",
        default_value = "262144",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_body_bytes: usize,

    /// Bytes of new persisted-query texts (APQ) all replicas store in one
    /// clock hour; past it, queries still run but are not remembered.
    #[arg(
        long = "apq-bytes-per-hour",
        env = "SIGNIN_APQ_BYTES_PER_HOUR",
        value_name = "BYTES",
        default_value = "4194304",
        value_parser = trimmed::<u64>
    )]
    pub(super) apq_bytes_per_hour: u64,

    /// How long an HTTP request may take, in milliseconds.
    #[arg(
        long = "request-timeout-ms",
        env = "SIGNIN_REQUEST_TIMEOUT_MS",
        value_name = "MS",
        default_value = "10000",
        value_parser = milliseconds
    )]
    pub(super) request_timeout: Duration,

    /// How long a connection may take to send a request's headers, in
    /// milliseconds, counted from when it waits for a request (so an idle
    /// kept-alive connection is closed after it too).
    #[arg(
        long = "header-read-timeout-ms",
        env = "SIGNIN_HEADER_READ_TIMEOUT_MS",
        value_name = "MS",
        default_value = "10000",
        value_parser = milliseconds
    )]
    pub(super) header_read_timeout: Duration,

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
    pub(super) introspection: Option<bool>,

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
    pub(super) playground: Option<bool>,

    /// Log format, `text` or `json` (`RUST_LOG` filters).
    ///
    /// [default: text (json in production)]
    #[arg(
        long = "log-format",
        env = "SIGNIN_LOG_FORMAT",
        value_name = "FORMAT",
        value_parser = log_format
    )]
    pub(super) log_format: Option<LogFormat>,

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
    pub(super) trust_forwarded_for: bool,

    /// WebSocket connections per process.
    #[arg(
        long = "max-ws-connections",
        env = "SIGNIN_MAX_WS_CONNECTIONS",
        value_name = "N",
        default_value = "10000",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_ws_connections: usize,

    /// WebSocket connections per client address, per process.
    #[arg(
        long = "max-ws-per-address",
        env = "SIGNIN_MAX_WS_PER_ADDRESS",
        value_name = "N",
        default_value = "50",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_ws_per_address: usize,

    /// Authenticated WebSocket connections per user, per process.
    #[arg(
        long = "max-ws-per-user",
        env = "SIGNIN_MAX_WS_PER_USER",
        value_name = "N",
        default_value = "10",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_ws_per_user: usize,

    /// Subscriptions per WebSocket connection.
    #[arg(
        long = "max-subscriptions-per-connection",
        env = "SIGNIN_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        value_name = "N",
        default_value = "10",
        value_parser = trimmed::<usize>
    )]
    pub(super) max_subscriptions_per_connection: usize,

    /// How often the server pings each WebSocket connection, in seconds.
    #[arg(
        long = "ws-ping-secs",
        env = "SIGNIN_WS_PING_SECS",
        value_name = "SECS",
        default_value = "15",
        value_parser = seconds
    )]
    pub(super) ws_ping: Duration,

    /// How often a WebSocket connection's token is checked again
    /// (deletion, expiry, password change), in milliseconds.
    #[arg(
        long = "ws-recheck-ms",
        env = "SIGNIN_WS_RECHECK_MS",
        value_name = "MS",
        default_value = "30000",
        value_parser = milliseconds
    )]
    pub(super) ws_recheck: Duration,

    /// Where `serve` also serves `/metrics` (with `/healthz` and `/readyz`),
    /// anonymously: an address only the scraper reaches.
    ///
    /// [default: unset]
    #[arg(
        long = "metrics-bind",
        env = "SIGNIN_METRICS_BIND",
        value_name = "ADDRESS",
        value_parser = exact::<SocketAddr>
    )]
    pub(super) metrics_bind: Option<SocketAddr>,

    /// The bearer token `/metrics` on `SIGNIN_BIND` requires
    /// (`Authorization: Bearer <token>`). Without one, production does not
    /// serve `/metrics` there at all, development serves it to anyone.
    ///
    /// [default: unset]
    #[arg(
        long = "metrics-token",
        env = "SIGNIN_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(super) metrics_token: Option<String>,

    /// Export traces over OTLP/HTTP to this collector (the other `OTEL_*`
    /// variables apply).
    ///
    /// [default: unset]
    #[arg(
        long = "otlp-endpoint",
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "URL"
    )]
    pub(super) otlp_endpoint: Option<String>,

    /// Where a `worker` process serves `/healthz`, `/readyz` and `/metrics`.
    ///
    /// [default: unset]
    #[arg(
        long = "worker-bind",
        env = "SIGNIN_WORKER_BIND",
        value_name = "ADDRESS",
        value_parser = exact::<SocketAddr>
    )]
    pub(super) worker_bind: Option<SocketAddr>,
}

impl Settings {
    /// The OTLP collector to export traces to, if any (`telemetry::init`
    /// takes it; the exporter reads the other `OTEL_EXPORTER_OTLP_*`
    /// variables itself).
    pub fn otlp_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint.as_deref()
    }
}

/// A setting's environment variable and the long flag that sets it too.
pub(super) struct Variable {
    pub(super) env: String,
    pub(super) long: String,
}

/// Every setting's variable and flag, read once from the [`Settings`]
/// declaration itself.
pub(super) fn variables() -> &'static [Variable] {
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
/// Variables whose empty value is a setting rather than "not set": an
/// empty SIGNIN_REMINDER_LOCAL_TIME turns reminders off (contract).
pub const EMPTY_IS_A_VALUE: &[&str] = &["SIGNIN_REMINDER_LOCAL_TIME"];

pub fn unset_empty_variables() {
    for variable in variables() {
        if EMPTY_IS_A_VALUE.contains(&variable.env.as_str()) {
            continue;
        }
        if std::env::var_os(&variable.env).is_some_and(|value| value.is_empty()) {
            std::env::remove_var(&variable.env);
        }
    }
}

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

fn milestones(raw: &str) -> Result<Milestones, String> {
    raw.parse().map_err(|e: MilestonesError| e.to_string())
}

/// Points: a whole number from 0 to what a wallet can hold.
fn cost(raw: &str) -> Result<u32, String> {
    let value: u32 = trimmed(raw)?;
    if value > MAX_COST {
        return Err(format!(
            "{value} is more than the {MAX_COST} points a wallet can hold"
        ));
    }
    Ok(value)
}

/// A day count or a number of freezes: 0 to [`MAX_WINDOW_OR_FREEZES`].
/// `SIGNIN_REMINDER_LOCAL_TIME`: a local time, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderTime(pub Option<chrono::NaiveTime>);

fn reminder_time(raw: &str) -> Result<ReminderTime, String> {
    if raw.trim().is_empty() {
        return Ok(ReminderTime(None));
    }
    chrono::NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map(|t| ReminderTime(Some(t)))
        .map_err(|_| format!("{raw:?} is not a time such as 20:00 (or empty: no reminders)"))
}

fn webhook_timeout(raw: &str) -> Result<Duration, String> {
    let secs: u64 = trimmed(raw)?;
    if !(1..=300).contains(&secs) {
        return Err(format!("{secs} is not between 1 and 300"));
    }
    Ok(Duration::from_secs(secs))
}

/// `REDIS_SENTINELS`: at most this many nodes (a deployment has 3 or 5).
const MAX_SENTINELS: usize = 16;

/// The sentinels of `REDIS_SENTINELS`, as `host:port` each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelNodes(pub Vec<(String, u16)>);

fn sentinel_nodes(raw: &str) -> Result<SentinelNodes, String> {
    let nodes = raw
        .split(',')
        .map(str::trim)
        .filter(|node| !node.is_empty())
        .map(|node| {
            let (host, port) = node
                .rsplit_once(':')
                .ok_or_else(|| format!("{node:?} is not host:port"))?;
            let port = port
                .parse::<u16>()
                .map_err(|_| format!("{node:?}: {port:?} is not a port"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() || host.len() > 253 {
                return Err(format!("{node:?} has no host"));
            }
            Ok((host.to_owned(), port))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if nodes.is_empty() {
        return Err("no sentinel given".into());
    }
    if nodes.len() > MAX_SENTINELS {
        return Err(format!(
            "{} sentinels, more than {MAX_SENTINELS}",
            nodes.len()
        ));
    }
    Ok(SentinelNodes(nodes))
}

fn retention_months(raw: &str) -> Result<u32, String> {
    let months: u32 = trimmed(raw)?;
    if !(1..=1200).contains(&months) {
        return Err(format!("{months} is not between 1 and 1200"));
    }
    Ok(months)
}

fn replica_max_lag(raw: &str) -> Result<Duration, String> {
    let secs: u64 = trimmed(raw)?;
    if !(1..=86_400).contains(&secs) {
        return Err(format!("{secs} is not between 1 and 86400"));
    }
    Ok(Duration::from_secs(secs))
}

fn window_or_freezes(raw: &str) -> Result<u16, String> {
    let value: u16 = trimmed(raw)?;
    if value > MAX_WINDOW_OR_FREEZES {
        return Err(format!("{value} is more than {MAX_WINDOW_OR_FREEZES}"));
    }
    Ok(value)
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
