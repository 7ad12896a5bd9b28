//! Presence: a user is online while any of their sessions is connected,
//! idle when every connected session said it is idle, and offline a grace
//! period after the last session closes (so a page reload does not flap).
//! Changes go to the user and everyone who shares a room with them.

use crate::events::Events;
use hearth_protocol::UserId;
use hearth_protocol::gateway::{PresenceEvent, PresenceStatus, ServerEvent};
use hearth_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
}

pub struct Presence {
    /// A std Mutex: never held across an await.
    users: Mutex<HashMap<UserId, UserPresence>>,
    events: Events,
    store: Arc<dyn Store>,
    grace: Mutex<Duration>,
}

impl Presence {
    pub fn new(events: Events, store: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            users: Mutex::new(HashMap::new()),
            events,
            store,
            grace: Mutex::new(Duration::from_secs(30)),
        })
    }

    /// How long after the last session closes the user goes offline.
    pub fn set_offline_grace(&self, d: Duration) {
        *lock(&self.grace) = d;
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

    /// A session connected (active).
    pub fn connected(self: &Arc<Self>, user: UserId) {
        let change = {
            let mut users = lock(&self.users);
            let p = users.entry(user).or_default();
            p.active += 1;
            p.epoch += 1;
            Self::recompute(p)
        };
        self.announce(user, change);
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
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let change = {
                let mut users = lock(&this.users);
                match users.get_mut(&user) {
                    Some(p) if p.epoch == epoch && p.active + p.idle == 0 => {
                        p.announced = Some(PresenceStatus::Offline);
                        Some(PresenceStatus::Offline)
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
    fn recompute(p: &mut UserPresence) -> Option<PresenceStatus> {
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
        Some(status)
    }

    fn announce(self: &Arc<Self>, user: UserId, change: Option<PresenceStatus>) {
        let Some(status) = change else {
            return;
        };
        let last_seen = if status == PresenceStatus::Offline {
            lock(&self.users).get(&user).and_then(|p| p.last_seen)
        } else {
            None
        };
        let this = self.clone();
        tokio::spawn(async move {
            let mut audience = match this.store.users_sharing_rooms(user).await {
                Ok(users) => users,
                Err(e) => {
                    tracing::warn!(error = %e, "presence audience lookup failed");
                    Vec::new()
                }
            };
            audience.push(user);
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
