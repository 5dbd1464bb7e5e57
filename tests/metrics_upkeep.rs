//! The Prometheus recorder's upkeep: histogram samples must not pile up in
//! memory between scrapes.
//!
//! `metrics::histogram!(..).record(x)` appends `x` to a lock-free bucket of
//! the recorder's (about 8.5 bytes a sample); the bucket is emptied only by
//! the recorder's upkeep or by a scrape of `/metrics`. An unscraped service
//! records several samples per request, so without a periodic upkeep its
//! memory grows for as long as it serves (the soak in docs/performance.md).
//!
//! This is its own test binary: the counting allocator below then sees this
//! test alone, and the process-wide recorder is installed here first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use signin_rewards::http::metrics;
use tokio_util::sync::CancellationToken;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; only the counter
// is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// About a minute of the soak's histogram samples (~17,000 a second).
const SAMPLES: usize = 1_000_000;

#[tokio::test]
async fn histogram_samples_are_freed_by_the_upkeep_task_without_a_scrape() {
    let page = metrics::handle(); // installs the process-wide recorder
    let histogram = ::metrics::histogram!("signin_test_upkeep_seconds");
    let record = |n: usize| {
        for i in 0..n {
            histogram.record((i % 1000) as f64 / 10_000.0);
        }
    };
    record(1);
    metrics::upkeep();
    let before = live();

    record(SAMPLES);
    let held = live() - before;
    assert!(
        held > (SAMPLES * 4) as isize,
        "recorded samples are held until an upkeep or a scrape: {held} bytes for {SAMPLES} samples"
    );
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(
        live() - before >= held,
        "nothing frees them while no upkeep runs"
    );

    // The task every serving or working process runs: its first round runs
    // at once, the next ones every UPKEEP_INTERVAL. Freed blocks go back to
    // the allocator once the recorder's epoch-based collector has seen
    // further use, as ongoing traffic gives it: a few samples between yields
    // stand in for that. No clock is involved.
    let stop = CancellationToken::new();
    let task = metrics::spawn_upkeep(stop.clone());
    let mut left = live() - before;
    for _ in 0..200 {
        if left < (SAMPLES / 8) as isize {
            break;
        }
        tokio::task::yield_now().await;
        record(1_000);
        left = live() - before;
    }
    assert!(
        left < (SAMPLES / 8) as isize,
        "the upkeep task freed the samples: {left} of {held} bytes still held"
    );

    // Folded into the histogram's buckets, not lost: the page counts them.
    let rendered = page.render();
    let count = rendered
        .lines()
        .find_map(|l| l.strip_prefix("signin_test_upkeep_seconds_count "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    assert!(
        count.is_some_and(|n| n > SAMPLES),
        "every sample is counted: {count:?}"
    );

    stop.cancel();
    task.await.expect("the upkeep task stops when told");
}
