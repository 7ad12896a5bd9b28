//! Rate limits: per IP for sign-in and registration, and for spending
//! tokens without an account (refresh, e-mail links); per user for sends,
//! for every other write, for expensive reads (searches) and for gateway
//! ops. GCRA limiters from `governor`, keyed in memory on this node and
//! read on a [`LimiterClock`] (a hand-moved one in tests).
//!
//! In cluster mode the per-IP sign-in limit and the per-user write and
//! search limits are counted in Redis instead (a fixed window, see
//! `bus::ratelimit`), so switching nodes does not reset them; the local
//! limiter stands in whenever Redis does not answer. Sends and gateway ops,
//! many a second, stay per node: a Redis round trip each would cost more
//! than what it protects.

pub mod clock;

use crate::bus::ratelimit::{SharedWindow, Verdict};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use clock::LimiterClock;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use hearth_protocol::UserId;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, LimiterClock, NoOpMiddleware<Nanos>>;

/// A per-user budget besides sends and gateway ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserBudget {
    /// Any write but a message send: reactions, edits, pins, rooms,
    /// members, uploads, push subscriptions, settings.
    Writes,
    /// Reads that search: messages, users, channels.
    Searches,
}

impl UserBudget {
    /// Its name in shared (Redis) keys.
    fn scope(self) -> &'static str {
        match self {
            Self::Writes => "writes",
            Self::Searches => "searches",
        }
    }
}

/// Token uses (refresh, e-mail links) allowed per IP for each sign-in
/// attempt allowed: a whole office behind one address refreshes often.
const TOKEN_USES_PER_AUTH_ATTEMPT: u32 = 10;

pub struct RateLimits {
    auth: Keyed<IpAddr>,
    /// Unauthenticated token uses: each may take the database's writer.
    token_use: Keyed<IpAddr>,
    send: Keyed<UserId>,
    writes: Keyed<UserId>,
    searches: Keyed<UserId>,
    gateway_ops: Keyed<UserId>,
    clock: LimiterClock,
    auth_per_minute: u32,
    writes_per_minute: u32,
    searches_per_minute: u32,
    /// Cluster mode: the windows shared by every node.
    shared: Option<Arc<SharedWindow>>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// `n` a minute, all of them at once if saved up.
fn per_minute(n: u32) -> Quota {
    Quota::per_minute(nz(n)).allow_burst(nz(n))
}

fn keyed<K: Hash + Eq + Clone>(quota: Quota, clock: &LimiterClock) -> Keyed<K> {
    Keyed::dashmap_with_clock(quota, clock.clone())
}

impl RateLimits {
    /// The limiters' clock; tests move it (see `Internal::manual_limit_clock`).
    pub fn clock(&self) -> &LimiterClock {
        &self.clock
    }

    pub fn new(config: &Config) -> Self {
        let clock = if config.internal.manual_limit_clock {
            LimiterClock::manual()
        } else {
            LimiterClock::real()
        };
        let limits = &config.limits;
        let send =
            Quota::per_second(nz(limits.send_rate_per_second)).allow_burst(nz(limits.send_burst));
        let ops = nz(limits.gateway_ops_per_second);
        let gateway_ops = Quota::per_second(ops).allow_burst(ops.saturating_mul(nz(2)));
        let token_uses = limits
            .auth_rate_per_minute
            .saturating_mul(TOKEN_USES_PER_AUTH_ATTEMPT);
        Self {
            auth: keyed(per_minute(limits.auth_rate_per_minute), &clock),
            token_use: keyed(per_minute(token_uses), &clock),
            send: keyed(send, &clock),
            writes: keyed(per_minute(limits.write_rate_per_minute), &clock),
            searches: keyed(per_minute(limits.search_rate_per_minute), &clock),
            gateway_ops: keyed(gateway_ops, &clock),
            clock,
            auth_per_minute: limits.auth_rate_per_minute,
            writes_per_minute: limits.write_rate_per_minute,
            searches_per_minute: limits.search_rate_per_minute,
            shared: None,
        }
    }

    /// Counts sign-in attempts, writes and searches in `window` (shared by
    /// the cluster) from now on.
    pub fn with_shared(mut self, window: Arc<SharedWindow>) -> Self {
        self.shared = Some(window);
        self
    }

    fn verdict<K: Hash + Eq + Clone>(&self, limiter: &Keyed<K>, key: &K) -> ApiResult<()> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    /// The shared verdict for `key` in `scope`, or `None` when there is no
    /// shared window or it did not answer (the caller decides locally).
    async fn shared_verdict(
        &self,
        scope: &str,
        key: &str,
        per_minute: u32,
    ) -> Option<ApiResult<()>> {
        let shared = self.shared.as_ref()?;
        match shared.check(scope, key, per_minute).await {
            Ok(Verdict::Allowed) => Some(Ok(())),
            Ok(Verdict::Limited { retry_after }) => Some(Err(ApiError::rate_limited(retry_after))),
            Err(e) => {
                tracing::warn!(error = %e, scope, "shared rate limit unavailable; limiting locally");
                None
            }
        }
    }

    pub async fn check_auth(&self, ip: IpAddr) -> ApiResult<()> {
        match self
            .shared_verdict("auth", &ip.to_string(), self.auth_per_minute)
            .await
        {
            Some(verdict) => verdict,
            None => self.verdict(&self.auth, &ip),
        }
    }

    /// A refresh token or an e-mailed link presented from `ip` (counted on
    /// this node: it guards this node's share of the database's writer).
    pub fn check_token_use(&self, ip: IpAddr) -> ApiResult<()> {
        self.verdict(&self.token_use, &ip)
    }

    pub fn check_send(&self, user: UserId) -> ApiResult<()> {
        self.verdict(&self.send, &user)
    }

    /// One request of `user` against `budget`.
    pub async fn check_user(&self, budget: UserBudget, user: UserId) -> ApiResult<()> {
        let (limiter, per_minute) = match budget {
            UserBudget::Writes => (&self.writes, self.writes_per_minute),
            UserBudget::Searches => (&self.searches, self.searches_per_minute),
        };
        match self
            .shared_verdict(budget.scope(), &user.to_string(), per_minute)
            .await
        {
            Some(verdict) => verdict,
            None => self.verdict(limiter, &user),
        }
    }

    /// One gateway op of `user`, over all their sessions on this node.
    pub fn check_gateway_op(&self, user: UserId) -> ApiResult<()> {
        self.verdict(&self.gateway_ops, &user)
    }

    /// Drops idle keys so the maps stay small; called periodically.
    pub fn prune(&self) {
        self.auth.retain_recent();
        self.token_use.retain_recent();
        self.send.retain_recent();
        self.writes.retain_recent();
        self.searches.retain_recent();
        self.gateway_ops.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn limits(configure: impl FnOnce(&mut Config)) -> RateLimits {
        let mut config = Config::defaults();
        config.internal.manual_limit_clock = true;
        configure(&mut config);
        RateLimits::new(&config)
    }

    #[tokio::test]
    async fn a_user_budget_refills_with_time_and_is_per_user() {
        let limits = limits(|c| c.limits.write_rate_per_minute = 2);
        let (alice, bob) = (UserId::new(), UserId::new());
        for _ in 0..2 {
            limits.check_user(UserBudget::Writes, alice).await.unwrap();
        }
        let refused = limits
            .check_user(UserBudget::Writes, alice)
            .await
            .unwrap_err();
        assert_eq!(refused.retry_after, Some(30));
        // Searches are a budget of their own, and Bob has his.
        limits
            .check_user(UserBudget::Searches, alice)
            .await
            .unwrap();
        limits.check_user(UserBudget::Writes, bob).await.unwrap();
        limits.clock().advance(Duration::from_secs(30));
        limits.check_user(UserBudget::Writes, alice).await.unwrap();
        assert!(limits.check_user(UserBudget::Writes, alice).await.is_err());
    }

    #[test]
    fn gateway_ops_are_counted_per_user() {
        let limits = limits(|c| c.limits.gateway_ops_per_second = 1);
        let alice = UserId::new();
        // A burst of twice the rate, then one a second.
        limits.check_gateway_op(alice).unwrap();
        limits.check_gateway_op(alice).unwrap();
        assert!(limits.check_gateway_op(alice).is_err());
        limits.clock().advance(Duration::from_secs(1));
        limits.check_gateway_op(alice).unwrap();
    }
}
