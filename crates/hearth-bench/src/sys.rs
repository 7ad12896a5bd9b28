//! The operating-system side: raising our own open-file limit, and reading
//! a server process's memory and CPU time from `/proc`.

use std::time::Instant;

/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft
/// limit. Every gateway session is one socket, so this bounds `connections`.
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass; nothing else is touched.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: setrlimit reads the struct; raising soft to hard needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(lim.rlim_cur)
}

/// Clock ticks per second for `/proc/PID/stat` times (100 on Linux).
fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// Resident set size of `pid` in KiB (VmRSS in `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// User + system CPU seconds of `pid` (fields 14 and 15 of `/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_cpu(&stat).map(|ticks| ticks as f64 / clock_ticks())
}

/// The bench's own CPU seconds, to tell whether the bench was the bottleneck.
pub fn own_cpu_seconds() -> Option<f64> {
    cpu_seconds(std::process::id())
}

fn parse_stat_cpu(stat: &str) -> Option<u64> {
    // The command name (field 2) may contain spaces: split after its ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state), so utime (14) is rest[11], stime (15) rest[12].
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A CPU-time and wall-clock reading of the server and of the bench itself.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: Instant,
    pub server_cpu: Option<f64>,
    pub bench_cpu: Option<f64>,
    pub server_rss_kib: Option<u64>,
}

impl Sample {
    pub fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            server_cpu: server_pid.and_then(cpu_seconds),
            bench_cpu: own_cpu_seconds(),
            server_rss_kib: server_pid.and_then(rss_kib),
        }
    }
}

/// What happened between two samples.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Interval {
    pub wall_seconds: f64,
    pub server_cpu_seconds: Option<f64>,
    pub bench_cpu_seconds: Option<f64>,
    pub server_rss_before_kib: Option<u64>,
    pub server_rss_after_kib: Option<u64>,
}

impl Interval {
    pub fn between(a: &Sample, b: &Sample) -> Self {
        let diff = |x: Option<f64>, y: Option<f64>| Some(y? - x?);
        Self {
            wall_seconds: b.at.duration_since(a.at).as_secs_f64(),
            server_cpu_seconds: diff(a.server_cpu, b.server_cpu),
            bench_cpu_seconds: diff(a.bench_cpu, b.bench_cpu),
            server_rss_before_kib: a.server_rss_kib,
            server_rss_after_kib: b.server_rss_kib,
        }
    }
}

/// The server's RSS, read every `every` by a background task while a run
/// lasts: is memory flat?
pub struct RssSampler {
    samples: std::sync::Arc<std::sync::Mutex<Vec<u64>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    every: std::time::Duration,
}

impl RssSampler {
    /// Starts sampling `pid` (one sample at once, then every `every`); None
    /// without a pid.
    pub fn start(pid: Option<u32>, every: std::time::Duration) -> Option<Self> {
        let pid = pid?;
        let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let out = samples.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Some(kib) = rss_kib(pid)
                            && let Ok(mut v) = out.lock()
                        {
                            v.push(kib);
                        }
                    }
                    _ = stopped.changed() => break,
                }
            }
        });
        Some(Self {
            samples,
            stop,
            task,
            every,
        })
    }

    /// Takes a last sample, stops, and summarizes.
    pub async fn finish(self, pid: Option<u32>) -> RssSummary {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let mut v = match self.samples.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if let Some(kib) = pid.and_then(rss_kib) {
            v.push(kib);
        }
        RssSummary::from_samples(&v, self.every.as_secs_f64())
    }
}

/// Start / min / max / end of a series of RSS samples, and end / start.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RssSummary {
    pub samples: usize,
    pub interval_seconds: f64,
    pub start_kib: u64,
    pub min_kib: u64,
    pub max_kib: u64,
    pub end_kib: u64,
    /// end / start: 1.0 is perfectly flat.
    pub end_over_start: f64,
    /// max / start.
    pub max_over_start: f64,
    /// The sample a tenth into the run: sessions are open and caches warm,
    /// so growth after it is what a soak is about.
    pub warm_kib: u64,
    /// end / warm.
    pub end_over_warm: f64,
}

impl RssSummary {
    pub fn from_samples(samples: &[u64], interval_seconds: f64) -> Self {
        let (Some(&start), Some(&end)) = (samples.first(), samples.last()) else {
            return Self::default();
        };
        let max = samples.iter().copied().max().unwrap_or(start);
        let min = samples.iter().copied().min().unwrap_or(start);
        let warm = samples[samples.len() / 10];
        let ratio_to = |x: u64, base: u64| {
            if base > 0 {
                x as f64 / base as f64
            } else {
                0.0
            }
        };
        let ratio = |x: u64| ratio_to(x, start);
        Self {
            samples: samples.len(),
            interval_seconds,
            start_kib: start,
            min_kib: min,
            max_kib: max,
            end_kib: end,
            end_over_start: ratio(end),
            max_over_start: ratio(max),
            warm_kib: warm,
            end_over_warm: ratio_to(end, warm),
        }
    }

    /// "start 100 / warm 104 / max 120 / end 105 MiB (end/start 1.05,
    /// max/start 1.20, end/warm 1.01, n=61)".
    pub fn line(&self) -> String {
        if self.samples == 0 {
            return "-".into();
        }
        let mib = |k: u64| k as f64 / 1024.0;
        format!(
            "start {:.1} / warm {:.1} / max {:.1} / end {:.1} MiB \
             (end/start {:.3}, max/start {:.3}, end/warm {:.3}, n={})",
            mib(self.start_kib),
            mib(self.warm_kib),
            mib(self.max_kib),
            mib(self.end_kib),
            self.end_over_start,
            self.max_over_start,
            self.end_over_warm,
            self.samples
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rss_summary_reports_start_max_end_and_ratios() {
        let s = RssSummary::from_samples(&[100, 130, 90, 110], 1.0);
        assert_eq!(
            (s.samples, s.start_kib, s.min_kib, s.max_kib, s.end_kib),
            (4, 100, 90, 130, 110)
        );
        assert!((s.end_over_start - 1.1).abs() < 1e-9);
        assert!((s.max_over_start - 1.3).abs() < 1e-9);
        // A tenth into 4 samples is the first.
        assert_eq!(s.warm_kib, 100);
        let long: Vec<u64> = (0..20).map(|i| if i < 2 { 50 } else { 100 }).collect();
        let s = RssSummary::from_samples(&long, 1.0);
        assert_eq!(s.warm_kib, 100);
        assert!((s.end_over_warm - 1.0).abs() < 1e-9);
        assert_eq!(RssSummary::from_samples(&[], 1.0), RssSummary::default());
        assert_eq!(RssSummary::default().line(), "-");
    }

    #[tokio::test]
    async fn the_sampler_reads_its_own_process() {
        let pid = Some(std::process::id());
        let s = RssSampler::start(pid, std::time::Duration::from_millis(10)).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(35)).await;
        let sum = s.finish(pid).await;
        assert!(sum.samples >= 3 && sum.start_kib > 0, "{sum:?}");
        assert!(RssSampler::start(None, std::time::Duration::from_secs(1)).is_none());
    }

    use super::*;

    #[test]
    fn stat_cpu_fields_are_found_after_the_command_name() {
        let stat = "1234 (hearth (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(parse_stat_cpu(stat), Some(300));
    }

    #[test]
    fn own_process_is_readable() {
        assert!(rss_kib(std::process::id()).is_some_and(|r| r > 0));
        assert!(own_cpu_seconds().is_some());
    }
}
