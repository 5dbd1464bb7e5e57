//! The documents clients send, parsed once per process (by async-graphql's
//! parser) and kept by their text: a client sends the same few texts over
//! and over. Validation is not cached: async-graphql validates every
//! execution. Also the index of persisted queries (APQ) this process has
//! seen, by hash, so a hash-only request needs no Redis round trip.
//!
//! Bounded by entries and by the bytes of text held; the least recently
//! used go first. This module never decides whether a document may run:
//! it keeps what the executor (`api`) decided.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use lru::LruCache;

use super::operations::selected_operation;
use crate::cache::persisted_queries::QueryHash;

/// A document as the executor runs it: parsed by async-graphql's parser
/// and within the fragment budget (`fragment_budget`), with the operations
/// async-graphql's strict validation has passed without variables.
#[derive(Debug)]
pub struct PreparedDocument {
    /// The text, as the client sent it (the cache's key).
    pub text: Arc<str>,
    /// The text's SHA-256 (its APQ name).
    pub hash: QueryHash,
    /// The parse; each execution runs a copy (async-graphql takes the
    /// document by value and prunes skipped fields from it).
    pub document: ExecutableDocument,
    /// The operation names (None: the request named none) with which this
    /// text passed async-graphql's `Strict` validation in a request without
    /// variables: the rules then depend on the text alone, so the same
    /// request needs only the `Fast` mode's limits again.
    validated: Mutex<HashSet<Option<String>>>,
}

impl PreparedDocument {
    /// `document`, parsed from `text`.
    pub fn new(text: &str, document: ExecutableDocument) -> Self {
        PreparedDocument {
            text: text.into(),
            hash: QueryHash::of(text),
            document,
            validated: Mutex::default(),
        }
    }

    /// Whether the text passed the strict rules with this operation name
    /// and no variables.
    pub fn is_validated(&self, operation_name: Option<&str>) -> bool {
        let validated = self.validated.lock().unwrap_or_else(|e| e.into_inner());
        validated.contains(&operation_name.map(str::to_owned))
    }

    /// Records that the text passed the strict rules with this operation
    /// name and no variables.
    pub fn mark_validated(&self, operation_name: Option<&str>) {
        let mut validated = self.validated.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded by the names a client can send with one text: a set of a
        // few, or junk that then only costs strict validation again.
        if validated.len() < 8 {
            validated.insert(operation_name.map(str::to_owned));
        }
    }

    /// The type of the operation `operation_name` selects; None when it
    /// selects none (execution reports that).
    pub fn operation_type(&self, operation_name: Option<&str>) -> Option<OperationType> {
        selected_operation(&self.document, operation_name).map(|op| op.node.ty)
    }
}

/// How many look-ups found their document, how many did not, and what the
/// cache holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentCacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Documents held.
    pub entries: usize,
    /// Bytes of text held (the documents' parses are in proportion).
    pub bytes: usize,
    /// Hashes of persisted queries held.
    pub persisted: usize,
}

/// The bounded cache of prepared documents.
#[derive(Debug)]
pub struct DocumentCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
    max_text_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    by_text: LruCache<Arc<str>, Arc<PreparedDocument>>,
    /// Persisted queries (APQ) by hash: a subset of `by_text`, dropped with
    /// their document.
    persisted: std::collections::HashMap<QueryHash, Arc<str>>,
    bytes: usize,
}

impl DocumentCache {
    /// At most `max_entries` documents and `max_bytes` bytes of text; a
    /// text longer than `max_text_bytes` is never kept.
    pub fn new(max_entries: NonZeroUsize, max_bytes: usize, max_text_bytes: usize) -> Self {
        DocumentCache {
            inner: Mutex::new(Inner {
                by_text: LruCache::new(max_entries),
                persisted: Default::default(),
                bytes: 0,
            }),
            max_bytes,
            max_text_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The lock; a panic while it was held cannot have left the maps
    /// inconsistent in a way that matters (each step is one map call), so
    /// a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The prepared document of `text`, counted as a hit or a miss.
    pub fn get(&self, text: &str) -> Option<Arc<PreparedDocument>> {
        let found = self.lock().by_text.get(text).cloned();
        self.count(found.is_some());
        found
    }

    /// The persisted query named `hash`, if this process holds it.
    pub fn get_persisted(&self, hash: &QueryHash) -> Option<Arc<PreparedDocument>> {
        let found = {
            let mut inner = self.lock();
            let text = inner.persisted.get(hash).cloned();
            text.and_then(|text| inner.by_text.get(&text).cloned())
        };
        self.count(found.is_some());
        found
    }

    fn count(&self, hit: bool) {
        let (counter, outcome) = if hit {
            (&self.hits, "hit")
        } else {
            (&self.misses, "miss")
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("signin_graphql_document_cache_total", "outcome" => outcome).increment(1);
    }

    /// Keeps `document` (unless its text is too long to keep), dropping
    /// the least recently used until the bounds hold again.
    pub fn insert(&self, document: &Arc<PreparedDocument>) {
        let size = document.text.len();
        if size > self.max_text_bytes || size > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if let Some((text, old)) = inner.by_text.push(document.text.clone(), document.clone()) {
            // Either the same text prepared twice at once (replaced) or
            // the least recently used entry (evicted).
            inner.forget(&text, &old);
        }
        inner.bytes += size;
        while inner.bytes > self.max_bytes {
            match inner.by_text.pop_lru() {
                Some((text, old)) => inner.forget(&text, &old),
                None => break,
            }
        }
    }

    /// Records that `document` is a persisted query: its hash alone finds
    /// it from now on (while it is held).
    pub fn mark_persisted(&self, document: &PreparedDocument) {
        let mut inner = self.lock();
        if inner.by_text.contains(&document.text) {
            inner.persisted.insert(document.hash, document.text.clone());
        }
    }

    pub fn stats(&self) -> DocumentCacheStats {
        let inner = self.lock();
        DocumentCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: inner.by_text.len(),
            bytes: inner.bytes,
            persisted: inner.persisted.len(),
        }
    }
}

impl Inner {
    /// Accounts for an entry that left `by_text`.
    fn forget(&mut self, text: &Arc<str>, document: &PreparedDocument) {
        self.bytes -= text.len();
        // Not when the same text was only replaced by a new preparation.
        if !self.by_text.contains(text) {
            self.persisted.remove(&document.hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(text: &str) -> Arc<PreparedDocument> {
        let document = async_graphql::parser::parse_query(text).unwrap();
        Arc::new(PreparedDocument::new(text, document))
    }

    fn cache(entries: usize, bytes: usize) -> DocumentCache {
        DocumentCache::new(NonZeroUsize::new(entries).unwrap(), bytes, 100)
    }

    #[test]
    fn a_kept_document_is_found_by_its_text_and_counted() {
        let cache = cache(4, 1000);
        assert!(cache.get("{ a }").is_none());
        cache.insert(&prepared("{ a }"));
        let found = cache.get("{ a }").unwrap();
        assert_eq!(&*found.text, "{ a }");
        assert!(cache.get("{ a  }").is_none(), "another text is another key");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 1));
        assert_eq!(stats.bytes, 5);
    }

    #[test]
    fn holds_at_most_its_entries_dropping_the_least_recently_used() {
        let cache = cache(3, 1000);
        for text in ["{ a }", "{ b }", "{ c }"] {
            cache.insert(&prepared(text));
        }
        cache.get("{ a }"); // now b is the least recently used
        cache.insert(&prepared("{ d }"));
        assert!(cache.get("{ b }").is_none());
        for text in ["{ a }", "{ c }", "{ d }"] {
            assert!(cache.get(text).is_some(), "{text}");
        }
        for i in 0..100 {
            cache.insert(&prepared(&format!("{{ f{i} }}")));
        }
        let stats = cache.stats();
        assert_eq!(stats.entries, 3);
        assert_eq!(stats.bytes, 3 * "{ f99 }".len());
    }

    #[test]
    fn holds_at_most_its_bytes_and_no_text_over_the_limit() {
        let cache = cache(100, 20);
        cache.insert(&prepared("{ aaaaaaaaa }")); // 13 bytes
        cache.insert(&prepared("{ bbbbbbb }")); // 11: 24 > 20, a goes
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (1, 11));
        assert!(cache.get("{ bbbbbbb }").is_some());
        let long = format!("{{ {} }}", "x".repeat(200));
        cache.insert(&prepared(&long));
        assert!(cache.get(&long).is_none());
        assert_eq!(cache.stats().bytes, 11);
    }

    #[test]
    fn the_same_text_twice_is_held_once() {
        let cache = cache(4, 1000);
        cache.insert(&prepared("{ a }"));
        cache.insert(&prepared("{ a }"));
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (1, 5));
    }

    #[test]
    fn a_persisted_query_is_found_by_hash_while_its_document_is_held() {
        let cache = cache(2, 1000);
        let a = prepared("{ a }");
        assert!(cache.get_persisted(&a.hash).is_none());
        cache.mark_persisted(&a); // not held: nothing to find it by
        assert!(cache.get_persisted(&a.hash).is_none());
        cache.insert(&a);
        cache.mark_persisted(&a);
        assert_eq!(&*cache.get_persisted(&a.hash).unwrap().text, "{ a }");
        // Not every held document is persisted.
        let b = prepared("{ b }");
        cache.insert(&b);
        assert!(cache.get_persisted(&b.hash).is_none());
        // Evicted with its document.
        cache.insert(&prepared("{ c }"));
        cache.insert(&prepared("{ d }"));
        assert!(cache.get_persisted(&a.hash).is_none());
        assert_eq!(cache.stats().persisted, 0);
    }
}
