//! Latency histograms (microsecond resolution, three significant digits) and
//! the summary a report prints.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;

/// A histogram of latencies in microseconds, from 1 µs to one hour.
pub struct Latency {
    hist: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    pub fn new() -> Self {
        // 1 µs .. 1 h at 3 significant digits: the bounds are constants, so
        // construction cannot fail; fall back to an auto-resizing one anyway.
        let hist = Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .or_else(|_| Histogram::new(3))
            .unwrap_or_else(|_| unreachable_histogram());
        Self { hist }
    }

    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
        self.hist.saturating_record(us);
    }

    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |us: u64| us as f64 / 1000.0;
        if self.hist.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: self.hist.len(),
            p50_ms: ms(self.hist.value_at_quantile(0.50)),
            p90_ms: ms(self.hist.value_at_quantile(0.90)),
            p99_ms: ms(self.hist.value_at_quantile(0.99)),
            max_ms: ms(self.hist.max()),
            mean_ms: self.hist.mean() / 1000.0,
        }
    }
}

#[allow(clippy::expect_used)]
fn unreachable_histogram() -> Histogram<u64> {
    // `Histogram::new(n)` only fails for n > 5; this path is never taken.
    Histogram::new(2).expect("a 2-digit histogram is always valid")
}

/// A histogram shared by many tasks. A std Mutex: it is held only to record
/// one value, never across an await.
#[derive(Default)]
pub struct SharedLatency(Mutex<Latency>);

impl SharedLatency {
    pub fn record(&self, d: Duration) {
        match self.0.lock() {
            Ok(mut h) => h.record(d),
            Err(p) => p.into_inner().record(d),
        }
    }

    /// Records many latencies given in nanoseconds under one lock.
    pub fn record_all_ns(&self, ns: &[u64]) {
        let mut h = match self.0.lock() {
            Ok(h) => h,
            Err(p) => p.into_inner(),
        };
        for &n in ns {
            h.hist.saturating_record((n / 1000).max(1));
        }
    }

    pub fn merge_from(&self, other: &Latency) {
        match self.0.lock() {
            Ok(mut h) => h.merge(other),
            Err(p) => p.into_inner().merge(other),
        }
    }

    pub fn summary(&self) -> LatencySummary {
        match self.0.lock() {
            Ok(h) => h.summary(),
            Err(p) => p.into_inner().summary(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl LatencySummary {
    /// "p50 1.23 / p90 … / p99 … / max … ms".
    pub fn line(&self) -> String {
        if self.count == 0 {
            return "-".into();
        }
        format!(
            "p50 {:.2} / p90 {:.2} / p99 {:.2} / max {:.2} ms (n={})",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

/// `count / secs`, 0 for an empty interval.
pub fn rate(count: u64, secs: f64) -> f64 {
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let mut l = Latency::new();
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 100);
        assert!((s.p50_ms - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 0.1, "{s:?}");
        assert!((s.max_ms - 100.0).abs() < 0.1, "{s:?}");
    }
}
