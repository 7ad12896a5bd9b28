//! Rate limits: per IP for login and registration, per user for sends.
//! GCRA limiters from `governor`, keyed in memory on this node.

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use hearth_protocol::UserId;
use std::net::IpAddr;
use std::num::NonZeroU32;

pub struct RateLimits {
    auth: DefaultKeyedRateLimiter<IpAddr>,
    send: DefaultKeyedRateLimiter<UserId>,
    clock: DefaultClock,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        let auth = Quota::per_minute(nz(config.auth_rate_per_minute))
            .allow_burst(nz(config.auth_rate_per_minute));
        let send =
            Quota::per_second(nz(config.send_rate_per_second)).allow_burst(nz(config.send_burst));
        Self {
            auth: DefaultKeyedRateLimiter::keyed(auth),
            send: DefaultKeyedRateLimiter::keyed(send),
            clock: DefaultClock::default(),
        }
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

    pub fn check_auth(&self, ip: IpAddr) -> ApiResult<()> {
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
