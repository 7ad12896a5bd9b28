//! The clock that drives the server's grace timers: tokio's in production,
//! one a test moves by hand, so "offline 30 s after the last session closes"
//! is tested without waiting and without racing real threads (a paused
//! tokio clock jumps ahead whenever the runtime waits on SQLite or a socket).

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where timers read the time. Cheap to clone.
#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: tokio's clock.
    manual: Option<ManualClock>,
}

impl Clock {
    /// tokio's clock (the default).
    pub fn system() -> Self {
        Self::default()
    }

    /// Resolves `d` from now as this clock counts time.
    pub async fn sleep(&self, d: Duration) {
        match &self.manual {
            None => tokio::time::sleep(d).await,
            Some(manual) => manual.sleep(d).await,
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Self {
            manual: Some(manual),
        }
    }
}

/// A clock that stands still until [`ManualClock::advance`] moves it.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

struct ManualInner {
    /// Time elapsed since the clock was made.
    now: watch::Sender<Duration>,
    /// Sleeps started and not yet over, so a test can wait until the timer
    /// it means to fire exists before moving the clock.
    sleeping: watch::Sender<usize>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(ManualInner {
                now: watch::Sender::new(Duration::ZERO),
                sleeping: watch::Sender::new(0),
            }),
        }
    }

    /// Moves the clock on by `d`, waking every sleep that is now over.
    pub fn advance(&self, d: Duration) {
        self.inner.now.send_modify(|now| *now += d);
    }

    /// How many sleeps are pending right now.
    pub fn sleeping(&self) -> usize {
        *self.inner.sleeping.borrow()
    }

    /// Resolves once at least `n` sleeps are pending.
    pub async fn until_sleeping(&self, n: usize) {
        let mut sleeping = self.inner.sleeping.subscribe();
        // The sender lives in `self`, so the channel cannot close here.
        let _ = sleeping.wait_for(|count| *count >= n).await;
    }

    async fn sleep(&self, d: Duration) {
        let deadline = *self.inner.now.borrow() + d;
        let mut now = self.inner.now.subscribe();
        self.inner.sleeping.send_modify(|count| *count += 1);
        let _pending = Pending(&self.inner.sleeping);
        let _ = now.wait_for(|now| *now >= deadline).await;
    }
}

/// Counts a sleep as pending until it ends or is dropped.
struct Pending<'a>(&'a watch::Sender<usize>);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count = count.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_sleep_ends_only_when_the_clock_is_moved_past_it() {
        let manual = ManualClock::new();
        let clock = Clock::from(manual.clone());
        let sleep = tokio::spawn(async move { clock.sleep(Duration::from_secs(30)).await });
        manual.until_sleeping(1).await;
        manual.advance(Duration::from_secs(29));
        tokio::task::yield_now().await;
        assert!(!sleep.is_finished());
        assert_eq!(manual.sleeping(), 1);
        manual.advance(Duration::from_secs(1));
        assert!(sleep.await.is_ok());
        assert_eq!(manual.sleeping(), 0);
    }
}
