//! Flush waves: how a busy node batches writes to its sockets.
//!
//! Each frame written on its own costs a `sendto` and the kernel's TCP work
//! for it, several times the cost of the frame itself. While the node keeps
//! up, every writer flushes as soon as it runs, so nobody waits. When it
//! does not (a big room's message wakes thousands of writers, each would
//! write one frame, and the next message is only read after all of them),
//! a writer that finds its oldest frame already late waits for the next
//! wave instead: the instants on a fixed grid every [`WAVE`], shared by
//! every writer, so the late ones wake together, and frames pile up in the
//! meantime: each wave writes all of a session's with one flush. The busier
//! the node, the more frames each write carries.

use std::sync::OnceLock;
use std::time::Duration;
use tokio::time::Instant;

/// The spacing of the grid: the most a busy writer waits for its wave.
pub const WAVE: Duration = Duration::from_millis(10);

/// Sleeps until the next instant of the grid.
pub async fn next() {
    tokio::time::sleep_until(after(Instant::now())).await;
}

/// The first instant of the grid strictly after `now`.
fn after(now: Instant) -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    let wave = WAVE.as_nanos();
    let elapsed = now.saturating_duration_since(origin).as_nanos();
    let waves = elapsed / wave + 1;
    // Nanoseconds since the origin fit in u64 for 584 years.
    origin + Duration::from_nanos(u64::try_from(waves * wave).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_late_at_different_moments_share_the_next_wave() {
        // Later than the grid's origin, which the first call sets to now.
        let a = Instant::now() + WAVE * 3;
        let b = a + Duration::from_millis(1);
        let (wa, wb) = (after(a), after(b));
        assert!(wa > a && wa - a <= WAVE);
        // Within one wave of each other: the same instant, or one wave apart.
        assert!(wa == wb || wb - wa == WAVE);
        assert_eq!(after(wa) - wa, WAVE, "strictly after, a whole wave on");
    }
}
