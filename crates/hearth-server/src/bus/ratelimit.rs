//! Rate limits shared by every node: a fixed one-minute window per key,
//! counted in Redis (`INCR` + `EXPIRE` in one transaction), so a client
//! cannot multiply its allowance by spreading requests over nodes.
//!
//! Keys: `{prefix}:ratelimit:{scope}:{key}:{minute}`; each expires shortly
//! after its minute. When Redis does not answer quickly the caller falls back
//! to its own per-node limiter rather than refusing everyone.

use super::link::RedisLink;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest a check may wait for Redis before the caller falls back.
const CHECK_TIMEOUT: Duration = Duration::from_millis(500);
const WINDOW_SECS: u64 = 60;

pub struct SharedWindow {
    link: Arc<RedisLink>,
}

/// The verdict of a shared check.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; the window ends in this many seconds.
    Limited {
        retry_after: u64,
    },
}

impl SharedWindow {
    pub fn new(link: Arc<RedisLink>) -> Self {
        Self { link }
    }

    /// Counts one attempt for `key` in `scope`; `Err` when Redis could not
    /// be asked (the caller decides locally then).
    pub async fn check(&self, scope: &str, key: &str, per_minute: u32) -> anyhow::Result<Verdict> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let window = now / WINDOW_SECS;
        let redis_key = self.link.key(&format!("ratelimit:{scope}:{key}:{window}"));
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("INCR")
            .arg(&redis_key)
            .cmd("EXPIRE")
            .arg(&redis_key)
            .arg(WINDOW_SECS + 5)
            .ignore();
        let mut conn = self.link.conn();
        let (count,): (u64,) = tokio::time::timeout(CHECK_TIMEOUT, pipe.query_async(&mut conn))
            .await
            .map_err(|_elapsed| anyhow::anyhow!("Redis rate-limit check timed out"))??;
        if count > u64::from(per_minute) {
            Ok(Verdict::Limited {
                retry_after: WINDOW_SECS - now % WINDOW_SECS,
            })
        } else {
            Ok(Verdict::Allowed)
        }
    }
}
