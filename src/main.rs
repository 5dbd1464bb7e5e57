//! The `signin-rewards` command line.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: allocation-heavy paths (GraphQL responses of many objects)
/// spend a third of their time in glibc's malloc otherwise. The
/// `system-allocator` feature leaves it out, for heap profilers that
/// intercept malloc (heaptrack).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tokio_util::sync::CancellationToken;

use signin_rewards::config::{self, Config, ConfigError, Settings};
use signin_rewards::service::accounts;
use signin_rewards::state::AppState;
use signin_rewards::store::{audit, migrate};
use signin_rewards::{app, graphql, telemetry};

#[derive(Parser)]
#[command(
    name = "signin-rewards",
    version,
    about = "Rewards people for signing in every day (GraphQL)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GraphQL API (and, unless --no-worker, the reward worker).
    Serve {
        /// Run the API only; run `signin-rewards worker` separately.
        #[arg(long)]
        no_worker: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Run the reward worker alone.
    Worker {
        #[command(flatten)]
        settings: Settings,
    },
    /// Apply the database migrations.
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Print the GraphQL schema as SDL.
    Schema,
    /// Create an admin, or promote an existing user. The password is read
    /// from SIGNIN_ADMIN_PASSWORD or standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        settings: Settings,
    },
    /// Make the coming months' history partitions and, with
    /// SIGNIN_HISTORY_RETENTION_MONTHS, archive the months past it (what
    /// every worker does hourly); print what was done.
    MaintainHistory {
        #[command(flatten)]
        settings: Settings,
    },
    /// Check every wallet against its ledger and every sign-in against its
    /// reward; print the mismatches; exit non-zero if there are any.
    Audit {
        /// A sign-in still uncredited this long after it was made counts
        /// as a failure.
        #[arg(long, default_value_t = 600)]
        overdue_secs: i64,
        #[command(flatten)]
        settings: Settings,
    },
}

impl Command {
    /// The settings of a command that runs the service (all but `schema`).
    fn settings(&self) -> Option<&Settings> {
        match self {
            Command::Serve { settings, .. }
            | Command::Worker { settings }
            | Command::Migrate { settings }
            | Command::CreateAdmin { settings, .. }
            | Command::MaintainHistory { settings }
            | Command::Audit { settings, .. } => Some(settings),
            Command::Schema => None,
        }
    }
}

/// How a refused configuration exits (as clap's usage errors do).
const CONFIGURATION_ERROR: u8 = 2;

fn main() -> ExitCode {
    // Before any HTTP client (the webhook sender, the trace exporter).
    signin_rewards::webhook_client::install_crypto_provider();
    let _ = dotenvy::dotenv();
    config::unset_empty_variables();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A bad setting is named by its variable, like the rules below.
        Err(error) => match ConfigError::from_clap(&error) {
            Some(error) => {
                eprintln!("configuration error: {error}");
                return ExitCode::from(CONFIGURATION_ERROR);
            }
            None => error.exit(),
        },
    };
    let Some(settings) = cli.command.settings() else {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    };
    let otlp_endpoint = settings.otlp_endpoint().map(str::to_owned);
    let config = match Config::from_settings(settings.clone()) {
        Ok(c) => c,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::from(CONFIGURATION_ERROR);
        }
    };
    let telemetry = telemetry::init(config.log_format, otlp_endpoint.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "exiting with an error");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown();
    code
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let programme = migrate::Programme {
        rewards: &config.rewards,
        timezone: config.timezone,
    };
    let applied = migrate::run_pending_with(&config.database_url, Some(programme)).await?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    match command {
        Command::Migrate { .. } | Command::Schema => Ok(()),
        Command::Serve { no_worker, .. } => {
            let bind = config.bind;
            let state = AppState::connect(config).await?;
            let running = app::start(state, bind, !no_worker).await?;
            app::cancel_on_signal(running.shutdown.clone());
            running.wait().await?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Worker { .. } => {
            let ops_bind = config.worker_bind;
            let state = AppState::connect(config).await?;
            let shutdown = CancellationToken::new();
            app::cancel_on_signal(shutdown.clone());
            app::run_worker(state, shutdown, ops_bind).await?;
            Ok(())
        }
        Command::MaintainHistory { .. } => {
            let state = AppState::connect(config).await?;
            let upkeep = signin_rewards::service::history::maintain(&state).await?;
            for (table, month) in &upkeep.archived {
                println!(
                    "archived {}.{} ({} rows of {}, all before {})",
                    signin_rewards::store::history::ARCHIVE_SCHEMA,
                    month.partition,
                    month.rows,
                    table.name(),
                    month.rows_below
                );
            }
            if let Some(reason) = &upkeep.held_back {
                println!("not archived: {reason}");
            }
            println!(
                "history: partitions made ahead; {} archived; {} rows in the default partitions",
                upkeep.archived.len(),
                upkeep.default_rows
            );
            Ok(())
        }
        Command::Audit { overdue_secs, .. } => {
            let state = AppState::connect(config).await?;
            let deadline = state.calendar.now() - chrono::TimeDelta::seconds(overdue_secs);
            let mut conn = state.db().await?;
            let report = audit::run(&mut conn, deadline).await?;
            println!(
                "audit: {} wallets, {} ledger rows, {} sign-ins checked",
                report.wallets, report.ledger_rows, report.sign_ins
            );
            for check in &report.checks {
                println!("{:>8}  {}", check.failures, check.name);
                for f in &check.examples {
                    println!(
                        "          id {} (expected {}, found {})",
                        f.id, f.expected, f.actual
                    );
                }
            }
            if report.is_clean() {
                println!("audit: clean");
                Ok(())
            } else {
                anyhow::bail!("audit found mismatches")
            }
        }
        Command::CreateAdmin { username, .. } => {
            let password = match std::env::var("SIGNIN_ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut input = String::new();
                    std::io::stdin().read_to_string(&mut input)?;
                    input.trim_end_matches(['\n', '\r']).to_owned()
                }
            };
            let state = AppState::connect(config).await?;
            let (user, created) = accounts::create_admin(&state, &username, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let verb = if created {
                "created admin"
            } else {
                "promoted to admin"
            };
            println!("{verb} {} (id {})", user.username, user.id);
            Ok(())
        }
    }
}
