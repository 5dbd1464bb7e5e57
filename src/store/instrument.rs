//! Statement accounting on every pooled connection: a count (and a latency
//! histogram) for the metrics, and, when a test asks, a log of what ran
//! when, to prove batching and concurrency.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use diesel::connection::{Instrumentation, InstrumentationEvent};

#[derive(Debug, Clone)]
pub struct StatementRecord {
    pub sql: String,
    pub started: Instant,
    pub finished: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    count: AtomicU64,
    recording: AtomicBool,
    records: Mutex<Vec<StatementRecord>>,
}

/// Shared by all connections of one pool.
#[derive(Debug, Clone, Default)]
pub struct StatementLog(Arc<Shared>);

impl StatementLog {
    /// Statements started since the pool was made.
    pub fn count(&self) -> u64 {
        self.0.count.load(Ordering::Relaxed)
    }

    /// Starts keeping each statement's text and timing (tests only: it costs).
    pub fn start_recording(&self) {
        self.records().clear();
        self.0.recording.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns what was recorded.
    pub fn take_records(&self) -> Vec<StatementRecord> {
        self.0.recording.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.records())
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Vec<StatementRecord>> {
        self.0.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn for_connection(&self) -> ConnectionInstrumentation {
        ConnectionInstrumentation {
            log: self.clone(),
            current: None,
        }
    }
}

pub(super) struct ConnectionInstrumentation {
    log: StatementLog,
    current: Option<(String, Instant)>,
}

impl Instrumentation for ConnectionInstrumentation {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.log.0.count.fetch_add(1, Ordering::Relaxed);
                let sql = if self.log.0.recording.load(Ordering::Relaxed) {
                    query.to_string()
                } else {
                    String::new()
                };
                self.current = Some((sql, Instant::now()));
            }
            InstrumentationEvent::FinishQuery { .. } => {
                if let Some((sql, started)) = self.current.take() {
                    let finished = Instant::now();
                    metrics::histogram!("signin_db_statement_duration_seconds")
                        .record((finished - started).as_secs_f64());
                    if self.log.0.recording.load(Ordering::Relaxed) {
                        self.log.records().push(StatementRecord {
                            sql,
                            started,
                            finished,
                        });
                    }
                }
            }
            _ => {}
        }
    }
}
