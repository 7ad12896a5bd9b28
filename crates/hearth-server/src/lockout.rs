//! Per-account login lockout, on top of the per-IP limit: password guessing
//! spread over many addresses still stops at one account's door.
//!
//! After [`LockoutPolicy::max_failures`] failures within
//! [`LockoutPolicy::window`], the account is locked for
//! [`LockoutPolicy::first_lock`]. When a lock ends the count starts over, so
//! a single wrong guess after it does not lock the owner out again; a further
//! full run of failures locks for twice as long as the last lock, up to
//! [`LockoutPolicy::max_lock`]. The cap is what keeps an attacker from
//! locking a real user out for long; a successful login, or a whole window
//! with neither failure nor lock, starts afresh (the doubling too). While
//! locked, even the right password is refused (with 429 and Retry-After), or
//! the lock would not slow guessing down.
//!
//! Only one password check per account runs at a time ([`Lockout::begin`]):
//! a burst of guesses would otherwise all pass the lock check before the
//! first failure is counted, and queue argon2 work in front of everyone
//! else's sign-in. The others are refused at once (429), never queued.
//!
//! State lives in memory on this node (a cluster will move it to Redis).
//! Unknown logins are counted like accounts, so a lock says nothing about
//! whether the account exists.

use hearth_protocol::UserId;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct LockoutPolicy {
    pub max_failures: usize,
    pub window: Duration,
    pub first_lock: Duration,
    pub max_lock: Duration,
}

impl Default for LockoutPolicy {
    /// 5 failures in 15 minutes lock for 1 minute, doubling up to 15 minutes.
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            first_lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(15 * 60),
        }
    }
}

/// Why [`Lockout::begin`] refused a password check.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Locked for this long still.
    Locked(Duration),
    /// Another check for the same account is running.
    Busy,
}

/// A password check in progress; dropping it ends the check.
#[derive(Debug)]
pub struct Attempt<'a> {
    lockout: &'a Lockout,
    key: LockoutKey,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.lockout.entries().checking.remove(&self.key);
    }
}

/// Whose failures are counted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockoutKey {
    Account(UserId),
    /// A login name no account has (lower-cased).
    Unknown(String),
}

#[derive(Debug, Default)]
struct Entry {
    /// The latest failures, at most `max_failures` of them.
    failures: VecDeque<Instant>,
    /// Locks since the count last started afresh (the doubling exponent).
    locks: u32,
    locked_until: Option<Instant>,
}

impl Entry {
    /// When the account last had a failure or a lock, whichever is later.
    fn active_until(&self) -> Option<Instant> {
        self.failures.back().copied().max(self.locked_until)
    }

    /// No failure and no lock for a whole window: forget everything.
    fn is_stale(&self, now: Instant, window: Duration) -> bool {
        self.active_until()
            .is_none_or(|t| now.saturating_duration_since(t) >= window)
    }
}

#[derive(Debug)]
struct Entries {
    map: HashMap<LockoutKey, Entry>,
    /// Keys with a password check running now (see [`Lockout::begin`]).
    checking: HashSet<LockoutKey>,
    /// Size at which stale entries are next swept (amortised, no timer).
    sweep_at: usize,
}

const MIN_SWEEP_AT: usize = 1024;

#[derive(Debug)]
pub struct Lockout {
    policy: LockoutPolicy,
    /// A std Mutex: held for a map update only, never across an await.
    entries: Mutex<Entries>,
}

impl Default for Lockout {
    fn default() -> Self {
        Self::new(LockoutPolicy::default())
    }
}

impl Lockout {
    pub fn new(policy: LockoutPolicy) -> Self {
        Self {
            policy,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                checking: HashSet::new(),
                sweep_at: MIN_SWEEP_AT,
            }),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// `Err(remaining)` while `key` is locked.
    pub fn check(&self, key: &LockoutKey) -> Result<(), Duration> {
        let now = Instant::now();
        match self.entries().map.get(key).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Starts a password check for `key`: refused while it is locked, or
    /// while another check for it runs. The check ends when the returned
    /// guard drops.
    pub fn begin(&self, key: &LockoutKey) -> Result<Attempt<'_>, Refusal> {
        self.check(key).map_err(Refusal::Locked)?;
        if !self.entries().checking.insert(key.clone()) {
            return Err(Refusal::Busy);
        }
        Ok(Attempt {
            lockout: self,
            key: key.clone(),
        })
    }

    /// Counts a failed attempt; returns the lock it started, if any.
    pub fn record_failure(&self, key: &LockoutKey) -> Option<Duration> {
        let now = Instant::now();
        let policy = self.policy;
        let mut entries = self.entries();
        if entries.map.len() >= entries.sweep_at {
            entries.map.retain(|_, e| !e.is_stale(now, policy.window));
            entries.sweep_at = (entries.map.len() * 2).max(MIN_SWEEP_AT);
        }
        let entry = entries.map.entry(key.clone()).or_default();
        if entry.is_stale(now, policy.window) {
            *entry = Entry::default();
        }
        match entry.locked_until {
            // A check that began before the lock: the lock already counts it.
            Some(until) if until > now => return None,
            // The lock is over: the count starts over (the doubling does not).
            Some(_) => {
                entry.failures.clear();
                entry.locked_until = None;
            }
            None => {}
        }
        entry
            .failures
            .retain(|&t| now.saturating_duration_since(t) < policy.window);
        entry.failures.push_back(now);
        while entry.failures.len() > policy.max_failures {
            entry.failures.pop_front();
        }
        if entry.failures.len() < policy.max_failures {
            return None;
        }
        let lock = policy
            .first_lock
            .saturating_mul(1u32 << entry.locks.min(16))
            .min(policy.max_lock);
        entry.locks = entry.locks.saturating_add(1);
        entry.locked_until = Some(now + lock);
        Some(lock)
    }

    /// A successful login: the account's count starts afresh.
    pub fn record_success(&self, key: &LockoutKey) {
        self.entries().map.remove(key);
    }

    /// Keys tracked now (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.entries().map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LockoutKey {
        LockoutKey::Account(UserId::new())
    }

    #[tokio::test(start_paused = true)]
    async fn five_failures_lock_for_a_minute_then_doubling_up_to_the_cap() {
        let lockout = Lockout::default();
        let k = key();
        for _ in 0..4 {
            assert_eq!(lockout.record_failure(&k), None);
            assert!(lockout.check(&k).is_ok());
        }
        assert_eq!(lockout.record_failure(&k), Some(Duration::from_secs(60)));
        assert_eq!(lockout.check(&k), Err(Duration::from_secs(60)));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(lockout.check(&k), Err(Duration::from_secs(30)));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(lockout.check(&k).is_ok(), "the lock ends");

        // Each further run of five failures locks twice as long as the last.
        let mut expected = 120;
        for _ in 0..5 {
            for _ in 0..4 {
                assert_eq!(lockout.record_failure(&k), None);
            }
            assert_eq!(
                lockout.record_failure(&k),
                Some(Duration::from_secs(expected.min(900)))
            );
            tokio::time::advance(Duration::from_secs(expected.min(900))).await;
            expected *= 2;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_failure_after_a_lock_does_not_lock_again() {
        let lockout = Lockout::default();
        let k = key();
        for _ in 0..5 {
            lockout.record_failure(&k);
        }
        // One guess every time the lock ends must not keep the owner out.
        for _ in 0..10 {
            let Err(left) = lockout.check(&k) else {
                break;
            };
            tokio::time::advance(left).await;
            assert_eq!(lockout.record_failure(&k), None, "the count started over");
            assert!(lockout.check(&k).is_ok());
            tokio::time::advance(Duration::from_secs(60)).await;
        }
        assert!(lockout.check(&k).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn one_password_check_per_account_at_a_time() {
        let lockout = Lockout::default();
        let (a, b) = (key(), key());
        let first = lockout.begin(&a).unwrap();
        assert_eq!(lockout.begin(&a).unwrap_err(), Refusal::Busy);
        let other = lockout.begin(&b);
        assert!(other.is_ok(), "other accounts are not held up");
        drop(first);
        let again = lockout.begin(&a);
        assert!(again.is_ok(), "the check ended with its guard");
        drop(again);
        for _ in 0..5 {
            lockout.record_failure(&a);
        }
        assert_eq!(
            lockout.begin(&a).unwrap_err(),
            Refusal::Locked(Duration::from_secs(60))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn success_or_a_quiet_window_starts_afresh() {
        let lockout = Lockout::default();
        let k = key();
        for _ in 0..5 {
            lockout.record_failure(&k);
        }
        tokio::time::advance(Duration::from_secs(60)).await;
        lockout.record_success(&k);
        for _ in 0..4 {
            assert_eq!(lockout.record_failure(&k), None, "count restarted");
        }
        tokio::time::advance(Duration::from_secs(15 * 60)).await;
        assert_eq!(lockout.record_failure(&k), None, "old failures expired");
        for _ in 0..3 {
            lockout.record_failure(&k);
        }
        assert_eq!(
            lockout.record_failure(&k),
            Some(Duration::from_secs(60)),
            "the doubling restarted too"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn accounts_are_counted_apart_and_stale_entries_are_swept() {
        let lockout = Lockout::default();
        let (a, b) = (key(), LockoutKey::Unknown("nobody".into()));
        for _ in 0..5 {
            lockout.record_failure(&a);
        }
        assert!(lockout.check(&a).is_err());
        assert!(lockout.check(&b).is_ok());
        tokio::time::advance(Duration::from_secs(16 * 60)).await;
        for i in 0..MIN_SWEEP_AT {
            lockout.record_failure(&LockoutKey::Unknown(format!("u{i}")));
        }
        assert!(lockout.tracked() <= MIN_SWEEP_AT, "{}", lockout.tracked());
    }
}
