//! One monotonic clock for the whole bench process. Send timestamps embedded
//! in message bodies and receipt times are both read from it, so a latency is
//! a difference of two readings of the same clock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static START: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the first call in this process.
pub fn now_ns() -> u64 {
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The time elapsed since a reading of [`now_ns`].
pub fn since(ns: u64) -> Duration {
    Duration::from_nanos(now_ns().saturating_sub(ns))
}

/// A token unique to one scenario run (wall-clock milliseconds, pid and a
/// counter), put in every nonce: the server deduplicates sends by (sender,
/// room, nonce), so a nonce reused by a later run would be acknowledged with
/// the old message and never delivered.
pub fn new_run_id() -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    format!("{ms:x}{:x}{n:x}", std::process::id())
}
