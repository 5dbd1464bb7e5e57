//! Starting and stopping the service's parts: the HTTP API, the event
//! listener and the reward worker, with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::after_commit::AfterCommit;
use crate::state::AppState;
use crate::{graphql, http, jobs, service};

/// How long in-flight jobs may take to finish after SIGTERM.
const WORKER_DRAIN: Duration = Duration::from_secs(30);
/// How long shutdown waits for committed changes' announcements and pushes
/// (each gives up on Redis after a few seconds of its own).
const AFTER_COMMIT_DRAIN: Duration = Duration::from_secs(10);

/// A running service (API, and optionally the worker) in this process.
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served anonymously (`SIGNIN_METRICS_BIND`).
    pub metrics_addr: Option<SocketAddr>,
    pub shutdown: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    worker: Option<JoinHandle<()>>,
    listener: JoinHandle<()>,
    /// What this process's committed changes still have to announce and
    /// push (drained after the last request).
    after_commit: AfterCommit,
    /// The metrics recorder's upkeep (see `http::metrics::spawn_upkeep`).
    metrics_upkeep: JoinHandle<()>,
    /// Keeps this process's copy of the reward schedules current.
    schedules: JoinHandle<()>,
    /// Checks the read replica's lag (`DATABASE_REPLICA_URL`).
    replica_watch: JoinHandle<()>,
    /// `/metrics` (with health and readiness) on `SIGNIN_METRICS_BIND`.
    metrics_server: Option<JoinHandle<std::io::Result<()>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("server failed: {0}")]
    Server(#[from] std::io::Error),
    #[error("the reward worker stopped unexpectedly")]
    WorkerDied,
    #[error("a task panicked: {0}")]
    Panicked(#[from] tokio::task::JoinError),
}

/// Binds `bind` and serves the API; with `with_worker`, runs the reward
/// worker and relay in the same process.
pub async fn start(
    state: Arc<AppState>,
    bind: SocketAddr,
    with_worker: bool,
) -> std::io::Result<Running> {
    // Install the metrics recorder before anything records, and keep its
    // histogram samples from piling up between scrapes.
    http::metrics::handle();
    let shutdown = CancellationToken::new();
    let metrics_upkeep = http::metrics::spawn_upkeep(shutdown.clone());
    let listener_task = tokio::spawn(state.hub.clone().listen(
        state.redis_target.clone(),
        state.keys.events_channel(),
        shutdown.clone(),
    ));
    let schedules = tokio::spawn(service::schedules::keep_fresh(
        state.clone(),
        shutdown.clone(),
    ));
    let replica_watch = tokio::spawn(state.clone().watch_replica(shutdown.clone()));
    let worker =
        with_worker.then(|| tokio::spawn(jobs::worker::run(state.clone(), shutdown.clone())));
    let api = graphql::build(state.clone(), &state.config.graphql);
    let router = http::router(state.clone(), api);
    let tcp = TcpListener::bind(bind).await?;
    let addr = tcp.local_addr()?;
    let stop = shutdown.clone();
    let limits = http::server::ServerLimits {
        header_read: state.config.graphql.header_read_timeout,
    };
    // In-flight requests end within the request timeout.
    let drain = state.config.graphql.request_timeout + Duration::from_secs(5);
    let server = tokio::spawn(http::server::serve(tcp, router, limits, stop, drain));
    let (metrics_addr, metrics_server) = match state.config.metrics.bind {
        Some(bind) => {
            let tcp = TcpListener::bind(bind).await?;
            let metrics_addr = tcp.local_addr()?;
            tracing::info!(addr = %metrics_addr, "metrics, health and readiness");
            let router = http::ops_router(state.clone());
            let server = tokio::spawn(http::server::serve(
                tcp,
                router,
                limits,
                shutdown.clone(),
                drain,
            ));
            (Some(metrics_addr), Some(server))
        }
        None => (None, None),
    };
    let pages_kib = http::assets::embedded_bytes() / 1024;
    tracing::info!(%addr, with_worker, pages_kib, "serving GraphQL on http://{addr}/graphql");
    Ok(Running {
        addr,
        metrics_addr,
        shutdown,
        server,
        worker,
        after_commit: state.after_commit.clone(),
        listener: listener_task,
        metrics_upkeep,
        schedules,
        replica_watch,
        metrics_server,
    })
}

impl Running {
    /// Runs until `shutdown` is cancelled (or a part dies), then drains:
    /// the server stops accepting and finishes in-flight requests, the
    /// worker finishes in-flight jobs. A worker that dies on its own is an
    /// error: the process must not serve on without it.
    pub async fn wait(mut self) -> Result<(), RunError> {
        let mut worker_died = false;
        let mut server_result = None;
        match self.worker.take() {
            Some(mut worker) => tokio::select! {
                r = &mut self.server => {
                    server_result = Some(r);
                    self.worker = Some(worker);
                }
                _ = &mut worker => worker_died = !self.shutdown.is_cancelled(),
            },
            None => server_result = Some((&mut self.server).await),
        }
        self.shutdown.cancel();
        let server_result = match server_result {
            Some(r) => r,
            None => self.server.await,
        };
        // The last requests' jobs reach the queue before the process goes
        // (a job left in memory would wait for another process's relay).
        if !self.after_commit.drain(AFTER_COMMIT_DRAIN).await {
            tracing::warn!(
                "after-commit work did not finish in time; the relay will push its jobs"
            );
        }
        // Still running only if the server stopped first: let it drain.
        if let Some(worker) = self.worker.take() {
            if tokio::time::timeout(WORKER_DRAIN, worker).await.is_err() {
                tracing::warn!("worker did not drain in time");
            }
        }
        let _ = self.listener.await;
        let _ = self.metrics_upkeep.await;
        let _ = self.schedules.await;
        let _ = self.replica_watch.await;
        if let Some(metrics_server) = self.metrics_server.take() {
            if let Ok(Err(error)) = metrics_server.await {
                tracing::warn!(%error, "metrics server failed");
            }
        }
        server_result??;
        if worker_died {
            return Err(RunError::WorkerDied);
        }
        Ok(())
    }

    pub async fn stop(self) -> Result<(), RunError> {
        self.shutdown.cancel();
        self.wait().await
    }
}

/// Runs the worker alone until `shutdown`.
/// Runs the worker alone until `shutdown`; with `ops_bind`, also serves
/// `/healthz`, `/readyz` and `/metrics` there.
pub async fn run_worker(
    state: Arc<AppState>,
    shutdown: CancellationToken,
    ops_bind: Option<SocketAddr>,
) -> std::io::Result<()> {
    http::metrics::handle();
    let upkeep_stop = shutdown.child_token();
    let metrics_upkeep = http::metrics::spawn_upkeep(upkeep_stop.clone());
    if let Some(bind) = ops_bind {
        let tcp = TcpListener::bind(bind).await?;
        tracing::info!(addr = %tcp.local_addr()?, "worker health and metrics");
        let router = http::ops_router(state.clone());
        let limits = http::server::ServerLimits {
            header_read: state.config.graphql.header_read_timeout,
        };
        let drain = state.config.graphql.request_timeout;
        tokio::spawn(http::server::serve(
            tcp,
            router,
            limits,
            shutdown.clone(),
            drain,
        ));
    }
    jobs::worker::run(state, shutdown).await;
    upkeep_stop.cancel();
    let _ = metrics_upkeep.await;
    Ok(())
}

/// Cancels `token` on SIGTERM or Ctrl-C.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(error) => {
                        tracing::error!(%error, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        token.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested; draining");
        token.cancel();
    });
}
