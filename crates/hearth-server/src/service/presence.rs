//! Presence: a user is online while any of their sessions is connected,
//! idle when every connected session said it is idle, and offline a grace
//! period after the last session closes (so a page reload does not flap).
//! Changes go to the user and everyone who shares a *small* room with them:
//! one of at most `presence_room_limit` members (DMs, groups, small
//! channels). Announcing through every room would make a room of N online
//! members cost O(N²) events and lookups as they connect; the members of
//! a big room read each other's presence from the member list instead.
//!
//! In cluster mode this node's view is only one of several: changes go to a
//! [`SharedPresence`] (`bus::presence`), which combines every node's view and
//! announces the cluster-wide status instead.

use crate::bus::presence::SharedPresence;
use crate::clock::Clock;
use crate::events::Events;
use hearth_protocol::UserId;
use hearth_protocol::gateway::{PresenceEvent, PresenceStatus, ServerEvent};
use hearth_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Default)]
struct UserPresence {
    active: usize,
    idle: usize,
    /// The status last announced.
    announced: Option<PresenceStatus>,
    last_seen: Option<OffsetDateTime>,
    /// Bumped on every connect, so a pending offline timer can tell it is stale.
    epoch: u64,
    /// Bumped on every announced change. Announcing looks the audience up
    /// asynchronously, so two quick changes could finish out of order; only
    /// the task holding the latest version publishes, so the last word wins.
    version: u64,
}

/// A status change to publish, tagged with the version it set.
struct Change {
    status: PresenceStatus,
    version: u64,
}

pub struct Presence {
    /// A std Mutex: never held across an await.
    users: Mutex<HashMap<UserId, UserPresence>>,
    events: Events,
    store: Arc<dyn Store>,
    grace: Mutex<Duration>,
    /// What the grace timer sleeps on; a test moves it by hand.
    clock: Mutex<Clock>,
    /// Presence goes through rooms of at most this many members.
    room_limit: u32,
    /// Set once in cluster mode.
    shared: OnceLock<Arc<dyn SharedPresence>>,
}

impl Presence {
    pub fn new(events: Events, store: Arc<dyn Store>, room_limit: u32) -> Arc<Self> {
        Arc::new(Self {
            users: Mutex::new(HashMap::new()),
            events,
            store,
            grace: Mutex::new(Duration::from_secs(30)),
            clock: Mutex::new(Clock::system()),
            room_limit,
            shared: OnceLock::new(),
        })
    }

    /// Shares this node's view with the cluster from now on.
    pub fn set_shared(&self, shared: Arc<dyn SharedPresence>) {
        let _ = self.shared.set(shared);
    }

    /// How long after the last session closes the user goes offline.
    pub fn set_offline_grace(&self, d: Duration) {
        *lock(&self.grace) = d;
    }

    /// The clock the grace timer runs on (tokio's unless a test sets one).
    pub fn set_clock(&self, clock: Clock) {
        *lock(&self.clock) = clock;
    }

    fn grace(&self) -> Duration {
        *lock(&self.grace)
    }

    /// The current status of `user` as this node sees it.
    pub fn status(&self, user: UserId) -> (PresenceStatus, Option<OffsetDateTime>) {
        let users = lock(&self.users);
        match users.get(&user) {
            Some(p) => (p.announced.unwrap_or(PresenceStatus::Offline), p.last_seen),
            None => (PresenceStatus::Offline, None),
        }
    }

    /// Users who see `user`'s presence: everyone sharing a room of at most
    /// `presence_room_limit` members with them (not `user`).
    pub async fn peers(&self, user: UserId) -> Result<Vec<UserId>, hearth_store::StoreError> {
        self.store
            .users_sharing_rooms(user, i64::from(self.room_limit))
            .await
    }

    /// A session connected (active). `peers`, when the caller just looked
    /// them up ([`Presence::peers`]), saves looking them up again.
    pub fn connected(self: &Arc<Self>, user: UserId, peers: Option<Vec<UserId>>) {
        let change = {
            let mut users = lock(&self.users);
            let p = users.entry(user).or_default();
            p.active += 1;
            p.epoch += 1;
            Self::recompute(p)
        };
        self.announce_to(user, change, peers);
    }

    /// A session closed; `was_idle` says which counter it was in.
    pub fn disconnected(self: &Arc<Self>, user: UserId, was_idle: bool) {
        let epoch = {
            let mut users = lock(&self.users);
            let Some(p) = users.get_mut(&user) else {
                return;
            };
            if was_idle {
                p.idle = p.idle.saturating_sub(1);
            } else {
                p.active = p.active.saturating_sub(1);
            }
            p.last_seen = Some(OffsetDateTime::now_utc());
            if p.active + p.idle > 0 {
                let change = Self::recompute(p);
                drop(users);
                self.announce(user, change);
                return;
            }
            p.epoch
        };
        let this = self.clone();
        let grace = self.grace();
        let clock = lock(&self.clock).clone();
        tokio::spawn(async move {
            clock.sleep(grace).await;
            let change = {
                let mut users = lock(&this.users);
                match users.get_mut(&user) {
                    Some(p) if p.epoch == epoch && p.active + p.idle == 0 => {
                        p.announced = Some(PresenceStatus::Offline);
                        p.version += 1;
                        Some(Change {
                            status: PresenceStatus::Offline,
                            version: p.version,
                        })
                    }
                    _ => None,
                }
            };
            this.announce(user, change);
        });
    }

    /// A session switched between active and idle.
    pub fn set_idle(self: &Arc<Self>, user: UserId, idle_now: bool) {
        let change = {
            let mut users = lock(&self.users);
            let Some(p) = users.get_mut(&user) else {
                return;
            };
            if idle_now {
                p.active = p.active.saturating_sub(1);
                p.idle += 1;
            } else {
                p.idle = p.idle.saturating_sub(1);
                p.active += 1;
            }
            Self::recompute(p)
        };
        self.announce(user, change);
    }

    /// Returns the new status if it differs from the one announced.
    fn recompute(p: &mut UserPresence) -> Option<Change> {
        let status = if p.active > 0 {
            PresenceStatus::Online
        } else if p.idle > 0 {
            PresenceStatus::Idle
        } else {
            return None; // offline comes from the grace timer
        };
        if p.announced == Some(status) {
            return None;
        }
        p.announced = Some(status);
        p.version += 1;
        Some(Change {
            status,
            version: p.version,
        })
    }

    fn announce(self: &Arc<Self>, user: UserId, change: Option<Change>) {
        self.announce_to(user, change, None);
    }

    fn announce_to(
        self: &Arc<Self>,
        user: UserId,
        change: Option<Change>,
        peers: Option<Vec<UserId>>,
    ) {
        let Some(Change { status, version }) = change else {
            return;
        };
        if let Some(shared) = self.shared.get() {
            // Reported under the lock, and only if still the latest change:
            // the backend sees this node's changes in order.
            let users = lock(&self.users);
            if users.get(&user).is_some_and(|p| p.version == version) {
                shared.node_status(user, status);
            }
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let found = match peers {
                Some(peers) => Ok(peers),
                None => this.peers(user).await,
            };
            let mut audience = match found {
                Ok(users) => users,
                Err(e) => {
                    tracing::warn!(error = %e, "presence audience lookup failed");
                    Vec::new()
                }
            };
            audience.push(user);
            // Publishing under the lock orders it against newer changes: a
            // newer change either bumped the version first (and this stale
            // one is skipped) or waits for this one to be out.
            let users = lock(&this.users);
            let Some(p) = users.get(&user).filter(|p| p.version == version) else {
                return;
            };
            let last_seen = if status == PresenceStatus::Offline {
                p.last_seen
            } else {
                None
            };
            this.events.to_users(
                audience,
                ServerEvent::Presence(PresenceEvent {
                    user_id: user,
                    status,
                    last_seen,
                }),
            );
        });
    }

    /// [`Presence::snapshot`], cluster-wide in cluster mode.
    pub async fn snapshot_everywhere(&self, users: &[UserId]) -> Vec<PresenceEvent> {
        if let Some(shared) = self.shared.get()
            && let Some(found) = shared.snapshot(users).await
        {
            return found;
        }
        self.snapshot(users)
    }

    /// Presence of the given users who are not offline (for `ready`).
    pub fn snapshot(&self, users: &[UserId]) -> Vec<PresenceEvent> {
        let map = lock(&self.users);
        users
            .iter()
            .filter_map(|u| {
                let p = map.get(u)?;
                let status = p.announced?;
                (status != PresenceStatus::Offline).then_some(PresenceEvent {
                    user_id: *u,
                    status,
                    last_seen: p.last_seen,
                })
            })
            .collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
