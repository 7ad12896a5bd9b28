//! Revoked login sessions, remembered for as long as their access tokens
//! could still be valid, so a signed-out token stops working at once instead
//! of at its expiry.

use hearth_protocol::SessionId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RevokedSessions {
    /// A std Mutex: held for a map lookup only, never across an await.
    revoked: Mutex<HashMap<SessionId, Instant>>,
    keep_for: Duration,
}

impl RevokedSessions {
    /// `keep_for` is the access token lifetime.
    pub fn new(keep_for: Duration) -> Self {
        Self {
            revoked: Mutex::new(HashMap::new()),
            keep_for,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Instant>> {
        match self.revoked.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn revoke(&self, session: SessionId) {
        let now = Instant::now();
        let mut map = self.map();
        map.retain(|_, at| now.duration_since(*at) < self.keep_for);
        map.insert(session, now);
    }

    pub fn is_revoked(&self, session: SessionId) -> bool {
        self.map().contains_key(&session)
    }
}
