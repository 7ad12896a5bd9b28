//! Rate limits: per IP for login and registration, per user for sends.
//! GCRA limiters from `governor`, keyed in memory on this node. In cluster
//! mode the per-IP login limit is counted in Redis instead (a fixed window,
//! see `bus::ratelimit`), so switching nodes does not reset it; the local
//! limiter stands in whenever Redis does not answer.

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use hearth_protocol::UserId;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::bus::ratelimit::{SharedWindow, Verdict};

pub struct RateLimits {
    auth: DefaultKeyedRateLimiter<IpAddr>,
    send: DefaultKeyedRateLimiter<UserId>,
    clock: DefaultClock,
    auth_per_minute: u32,
    /// Cluster mode: the login window shared by every node.
    shared: Option<Arc<SharedWindow>>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    /// The node's clock, for limiters made elsewhere (one per gateway
    /// connection): building a clock calibrates it, which a connect should
    /// not pay for.
    pub fn clock(&self) -> &DefaultClock {
        &self.clock
    }

    pub fn new(config: &Config) -> Self {
        let auth = Quota::per_minute(nz(config.limits.auth_rate_per_minute))
            .allow_burst(nz(config.limits.auth_rate_per_minute));
        let send = Quota::per_second(nz(config.limits.send_rate_per_second))
            .allow_burst(nz(config.limits.send_burst));
        Self {
            auth: DefaultKeyedRateLimiter::keyed(auth),
            send: DefaultKeyedRateLimiter::keyed(send),
            clock: DefaultClock::default(),
            auth_per_minute: config.limits.auth_rate_per_minute,
            shared: None,
        }
    }

    /// Counts login attempts in `window` (shared by the cluster) from now on.
    pub fn with_shared(mut self, window: Arc<SharedWindow>) -> Self {
        self.shared = Some(window);
        self
    }

    fn verdict<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> ApiResult<()> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    pub async fn check_auth(&self, ip: IpAddr) -> ApiResult<()> {
        if let Some(shared) = &self.shared {
            match shared
                .check("auth", &ip.to_string(), self.auth_per_minute)
                .await
            {
                Ok(Verdict::Allowed) => return Ok(()),
                Ok(Verdict::Limited { retry_after }) => {
                    return Err(ApiError::rate_limited(retry_after));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate limit unavailable; limiting locally");
                }
            }
        }
        self.verdict(&self.auth, &ip)
    }

    pub fn check_send(&self, user: UserId) -> ApiResult<()> {
        self.verdict(&self.send, &user)
    }

    /// Drops idle keys so the maps stay small; called periodically.
    pub fn prune(&self) {
        self.auth.retain_recent();
        self.send.retain_recent();
    }
}
