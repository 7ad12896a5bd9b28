//! The clock the rate limiters read: the node's monotonic clock, or one a
//! test moves by hand, so "allowed again after the wait" is tested without
//! waiting.

use governor::clock::{Clock, FakeRelativeClock};
use governor::nanos::Nanos;
use std::time::{Duration, Instant};

/// Cheap to clone; clones read the same time.
#[derive(Clone, Debug)]
pub struct LimiterClock {
    /// Time is measured from here (real clock).
    origin: Instant,
    /// `Some`: time stands still until [`LimiterClock::advance`].
    manual: Option<FakeRelativeClock>,
}

impl LimiterClock {
    /// The node's monotonic clock.
    pub fn real() -> Self {
        Self {
            origin: Instant::now(),
            manual: None,
        }
    }

    /// A clock that moves only when told.
    pub fn manual() -> Self {
        Self {
            origin: Instant::now(),
            manual: Some(FakeRelativeClock::default()),
        }
    }

    /// Moves a manual clock forward; a real one ignores this.
    pub fn advance(&self, by: Duration) {
        if let Some(manual) = &self.manual {
            manual.advance(by);
        }
    }
}

impl Clock for LimiterClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        match &self.manual {
            Some(manual) => manual.now(),
            None => Nanos::from(self.origin.elapsed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = LimiterClock::manual();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.clone().advance(Duration::from_secs(2));
        assert_eq!(
            Duration::from(clock.now()),
            Duration::from(start) + Duration::from_secs(2)
        );
    }
}
