//! Revoked login sessions, remembered for as long as their access tokens
//! could still be valid, so a signed-out token stops working at once instead
//! of at its expiry.
//!
//! The store records every revocation (whoever made it: this node, another
//! node, `hearth user …` in another process) in `session_revocations`. This
//! set is the in-memory copy every request is checked against — a map
//! lookup, not a database read on the hot path. It is filled from the store
//! at start (so a restart forgets nothing), kept in step by
//! [`RevokedSessions::catch_up`] every [`CATCH_UP_EVERY`], and told at once
//! of revocations made on this node and, in a cluster, announced on the bus.

use crate::hub::Hub;
use hearth_protocol::SessionId;
use hearth_protocol::gateway::close_code;
use hearth_store::{Store, StoreResult};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How often the store is asked for revocations made elsewhere: the most a
/// revocation by another process (the CLI) or a node whose bus message was
/// lost takes to reach this node.
pub const CATCH_UP_EVERY: Duration = Duration::from_secs(1);

/// How far back each read looks again. PostgreSQL hands out `seq` values
/// before commit, so a lower one can become visible after a higher one was
/// read; a revocation's statement commits well within this.
const SETTLE: Duration = Duration::from_secs(10);

pub struct RevokedSessions {
    /// Session → until when its access tokens could be valid. Read on every
    /// authenticated request, written on revocations: a std RwLock, never
    /// held across an await.
    revoked: RwLock<HashMap<SessionId, OffsetDateTime>>,
    keep_for: Duration,
    /// Where the next read of the store starts (see [`SETTLE`]).
    position: Mutex<Position>,
}

#[derive(Default)]
struct Position {
    /// Every revocation at or below this `seq` has been seen.
    settled: i64,
    /// The highest `seq` each recent read saw, and when.
    recent: VecDeque<(Instant, i64)>,
}

impl RevokedSessions {
    /// `keep_for` is the access token lifetime.
    pub fn new(keep_for: Duration) -> Self {
        Self {
            revoked: RwLock::new(HashMap::new()),
            keep_for,
            position: Mutex::new(Position::default()),
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<SessionId, OffsetDateTime>> {
        self.revoked.write().unwrap_or_else(|p| p.into_inner())
    }

    /// A revocation made (or announced) just now.
    pub fn revoke(&self, session: SessionId) {
        self.remember(session, OffsetDateTime::now_utc());
    }

    /// A revocation made at `revoked_at`; whether it is news.
    fn remember(&self, session: SessionId, revoked_at: OffsetDateTime) -> bool {
        let until = revoked_at + self.keep_for;
        if until <= OffsetDateTime::now_utc() {
            return false;
        }
        let mut map = self.write();
        match map.get_mut(&session) {
            Some(known) => {
                *known = (*known).max(until);
                false
            }
            None => {
                map.insert(session, until);
                true
            }
        }
    }

    pub fn is_revoked(&self, session: SessionId) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&session)
    }

    /// Reads the revocations recorded since the last call (at the first,
    /// all whose tokens could still be valid) and returns the sessions this
    /// node did not know of yet, whose connections must now close.
    pub async fn catch_up(&self, store: &dyn Store) -> StoreResult<Vec<SessionId>> {
        let after = self.lock_position().settled;
        let since = OffsetDateTime::now_utc() - self.keep_for;
        let found = store.session_revocations(after, since).await?;
        let newest = found.iter().map(|r| r.seq).max().unwrap_or(after);
        let news = found
            .into_iter()
            .filter(|r| self.remember(r.session_id, r.revoked_at))
            .map(|r| r.session_id)
            .collect();
        let mut position = self.lock_position();
        let now = Instant::now();
        let seen = position
            .recent
            .back()
            .map_or(newest, |(_, s)| newest.max(*s));
        position.recent.push_back((now, seen));
        while let Some(&(at, seq)) = position.recent.front() {
            if now.duration_since(at) < SETTLE {
                break;
            }
            position.settled = position.settled.max(seq);
            position.recent.pop_front();
        }
        Ok(news)
    }

    fn lock_position(&self) -> std::sync::MutexGuard<'_, Position> {
        self.position.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets revocations whose tokens have all expired, here and in the
    /// store; returns how many rows the store dropped.
    pub async fn prune(&self, store: &dyn Store) -> StoreResult<u64> {
        let now = OffsetDateTime::now_utc();
        self.write().retain(|_, until| *until > now);
        store.prune_session_revocations(now - self.keep_for).await
    }
}

/// Login sessions asked about in one store read.
const CHECK_BATCH: usize = 500;

/// Closes this node's connections whose login session the store no longer
/// holds live (revoked, expired, its user deactivated) with 4003, and
/// refuses their tokens from now on. The check that needs no event: run on
/// the gateway's ping tick and after a bus outage, so a revocation whose
/// news was lost cannot keep a connection open. Returns how many ended.
pub async fn close_dead_connections(
    store: &dyn Store,
    hub: &Hub,
    revoked: &RevokedSessions,
) -> StoreResult<usize> {
    let connected = hub.login_sessions();
    let now = OffsetDateTime::now_utc();
    let mut dead = HashSet::new();
    for batch in connected.chunks(CHECK_BATCH) {
        let live: HashSet<SessionId> = store.live_sessions(batch, now).await?.into_iter().collect();
        dead.extend(batch.iter().copied().filter(|id| !live.contains(id)));
    }
    if !dead.is_empty() {
        for &session in &dead {
            revoked.revoke(session);
        }
        hub.close_login_sessions(|s| dead.contains(&s), close_code::SESSION_REVOKED);
    }
    Ok(dead.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_is_news_once_and_forgotten_after_the_token_lifetime() {
        let revoked = RevokedSessions::new(Duration::from_secs(60));
        let (fresh, old) = (SessionId::new(), SessionId::new());
        let now = OffsetDateTime::now_utc();
        assert!(revoked.remember(fresh, now));
        assert!(!revoked.remember(fresh, now), "known already");
        assert!(revoked.is_revoked(fresh));
        // Its tokens have all expired: nothing to refuse.
        assert!(!revoked.remember(old, now - Duration::from_secs(61)));
        assert!(!revoked.is_revoked(old));
    }
}
