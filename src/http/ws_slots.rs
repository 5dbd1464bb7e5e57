//! WebSocket slots per client address and per user, in this process: one
//! address (or one account) cannot take every slot of the process, and a
//! socket that never authenticates holds only its address's slot until
//! its `connection_init` is late (10 s).
//!
//! Counted per process, as the process-wide slots are: behind a load
//! balancer that spreads connections, N replicas allow N times as many.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Open sockets per key (an address, a user), at most `max` each.
#[derive(Debug)]
pub struct SlotsPer<K> {
    max: usize,
    open: Mutex<HashMap<K, usize>>,
}

/// One socket's slot; freed when dropped.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq + Clone> {
    slots: Arc<SlotsPer<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> SlotsPer<K> {
    /// At most `max` open sockets per key.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(SlotsPer {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, usize>> {
        // Each step leaves the map consistent: a poisoned lock is used.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for `key`, or None when `key` has `max` open already.
    pub fn take(self: &Arc<Self>, key: K) -> Option<Slot<K>> {
        let mut open = self.lock();
        let count = open.entry(key.clone()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot {
            slots: self.clone(),
            key,
        })
    }

    /// How many keys hold a slot (the map holds no key with none).
    pub fn keys(&self) -> usize {
        self.lock().len()
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_gets_at_most_max_and_slots_come_back() {
        let slots = SlotsPer::new(2);
        let a1 = slots.take("a");
        let a2 = slots.take("a");
        assert!(a1.is_some() && a2.is_some());
        assert!(slots.take("a").is_none(), "a third for a");
        let b = slots.take("b");
        assert!(b.is_some(), "b has slots of its own");
        drop(a1);
        assert!(slots.take("a").is_some(), "a freed one comes back");
        drop((a2, b));
        assert_eq!(slots.keys(), 0, "no key is kept without a slot");
    }
}
