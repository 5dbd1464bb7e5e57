//! Argon2id password hashes, computed off the async runtime, a bounded
//! number at once ([`Hasher`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::HashLimits;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// Every hashing slot is taken and the queue is full: retry after
    /// [`BUSY_RETRY_AFTER`].
    #[error("too many password hashes waiting")]
    Busy,
}

/// When a caller refused with [`PasswordError::Busy`] may retry.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Computes password hashes, at most `concurrent` at once on blocking
/// threads, with at most `queue` more waiting for a slot; past that a hash
/// is refused at once ([`PasswordError::Busy`]) instead of piling up. An
/// Argon2id hash takes 19 MiB and tens of milliseconds of one core: a flood
/// of registrations or logins then waits in the queue instead of taking
/// every core and the memory, so health checks and other requests still
/// answer. A slot is held until its hash is done, even when the request
/// that asked for it is gone.
#[derive(Debug)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

/// One place in the queue, given back when dropped.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    pub fn new(limits: HashLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            queue: limits.queue,
        }
    }

    /// A hashing slot: at once when one is free, else after waiting in the
    /// queue, or `Busy` when the queue is full.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, PasswordError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let place = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _queued = Queued(&self.waiting);
        if place >= self.queue {
            metrics::counter!("signin_password_hashes_refused_total").increment(1);
            return Err(PasswordError::Busy);
        }
        self.slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PasswordError::Busy)
    }

    /// An Argon2id hash of `password` (PHC string).
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.in_a_slot(move || hash_now(&password)).await
    }

    /// Whether `password` matches `stored`; see [`verify_now`].
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        self.in_a_slot(move || verify_now(&password, stored)).await
    }

    /// Runs `work` on a blocking thread once it has a slot, holding the slot
    /// until `work` is done.
    async fn in_a_slot<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await?
    }
}

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the calling thread (a blocking one: tens of milliseconds).
fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `stored`, on the calling thread. With no
/// stored hash (unknown user) a dummy hash is checked instead, so the time
/// taken does not tell whether the username exists.
fn verify_now(password: &str, stored: Option<String>) -> Result<bool, PasswordError> {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
    let parsed = PasswordHash::new(&stored).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let matches = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    Ok(known && matches)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"not-a-real-password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(concurrent: usize, queue: usize) -> Hasher {
        Hasher::new(HashLimits { concurrent, queue })
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hasher = hasher(1, 0);
        let h = hasher.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(hasher
            .verify("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!hasher.verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!hasher
            .verify("not-a-real-password".into(), None)
            .await
            .unwrap());
    }

    /// With every slot taken, hashes wait in the queue; once it is full
    /// the next is refused at once, and the queued one runs when a slot
    /// frees.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_queue_then_are_refused() {
        let hasher = Arc::new(hasher(1, 1));
        let taken = hasher.slots.clone().acquire_owned().await.unwrap();
        let queued = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash("queued password".into()).await }
        });
        while hasher.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            hasher.hash("one too many".into()).await,
            Err(PasswordError::Busy)
        ));
        assert!(matches!(
            hasher.verify("one too many".into(), None).await,
            Err(PasswordError::Busy)
        ));
        assert!(!queued.is_finished());
        drop(taken);
        assert!(queued.await.unwrap().unwrap().starts_with("$argon2id$"));
        assert_eq!(hasher.waiting.load(Ordering::SeqCst), 0);
        assert_eq!(hasher.slots.available_permits(), 1);
    }
}
