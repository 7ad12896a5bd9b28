//! The hub: fans encoded events out to this node's gateway sessions.
//!
//! Each event is serialised once; every recipient's queue holds a clone of the
//! same `Bytes`. Each session has a bounded queue drained by its own writer
//! task; a session that falls too far behind is closed with 4008 (resume)
//! instead of slowing anyone else or growing memory. The hub also keeps, for
//! users with a session here, which rooms they are in, so a room's audience is
//! found in memory; membership events update that index as they pass.
//!
//! - [`Audience`]: who an event is for; [`Frame`]: an encoded event;
//! - [`SessionQueue`]: one session's bounded outgoing queue.

mod audience;
mod frame;
mod queue;

pub use audience::Audience;
pub use frame::Frame;
pub use queue::{Pushed, SessionQueue};

use hearth_protocol::gateway::ServerEvent;
use hearth_protocol::{RoomId, SessionId, UserId};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

#[derive(Default)]
struct Index {
    sessions: HashMap<u64, Arc<SessionQueue>>,
    by_user: HashMap<UserId, Vec<u64>>,
    room_users: HashMap<RoomId, HashSet<UserId>>,
    user_rooms: HashMap<UserId, HashSet<RoomId>>,
}

impl Index {
    fn add_membership(&mut self, user: UserId, room: RoomId) {
        if self.by_user.contains_key(&user) {
            self.room_users.entry(room).or_default().insert(user);
            self.user_rooms.entry(user).or_default().insert(room);
        }
    }

    fn remove_membership(&mut self, user: UserId, room: RoomId) {
        if let Some(users) = self.room_users.get_mut(&room) {
            users.remove(&user);
            if users.is_empty() {
                self.room_users.remove(&room);
            }
        }
        if let Some(rooms) = self.user_rooms.get_mut(&user) {
            rooms.remove(&room);
        }
    }
}

/// Counters for /metrics.
#[derive(Default)]
pub struct HubStats {
    pub events: AtomicU64,
    pub deliveries: AtomicU64,
    pub overflow_closes: AtomicU64,
}

#[derive(Default)]
pub struct Hub {
    index: RwLock<Index>,
    next_id: AtomicU64,
    pub stats: HubStats,
}

/// Deregisters its session when dropped.
pub struct SessionGuard {
    hub: Arc<Hub>,
    id: u64,
    pub queue: Arc<SessionQueue>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.hub.deregister(self.id);
    }
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        match self.index.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        match self.index.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Registers a session in `rooms`; from now on it receives their events.
    pub fn register(
        self: &Arc<Self>,
        user: UserId,
        session: SessionId,
        rooms: impl IntoIterator<Item = RoomId>,
        capacity: usize,
    ) -> SessionGuard {
        let idx = self.write();
        self.insert(idx, user, session, rooms, capacity)
    }

    /// Registers a session as [`Hub::register`] does, unless `user` already
    /// has `max_per_user` sessions on this node (`None` then): the count and
    /// the insert happen under one lock, so racing connects cannot pass it.
    pub fn try_register(
        self: &Arc<Self>,
        user: UserId,
        session: SessionId,
        rooms: impl IntoIterator<Item = RoomId>,
        capacity: usize,
        max_per_user: usize,
    ) -> Option<SessionGuard> {
        let idx = self.write();
        if idx.by_user.get(&user).map_or(0, Vec::len) >= max_per_user {
            return None;
        }
        Some(self.insert(idx, user, session, rooms, capacity))
    }

    fn insert(
        self: &Arc<Self>,
        mut idx: std::sync::RwLockWriteGuard<'_, Index>,
        user: UserId,
        session: SessionId,
        rooms: impl IntoIterator<Item = RoomId>,
        capacity: usize,
    ) -> SessionGuard {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let queue = Arc::new(SessionQueue::new(user, session, capacity));
        idx.sessions.insert(id, queue.clone());
        idx.by_user.entry(user).or_default().push(id);
        for room in rooms {
            idx.add_membership(user, room);
        }
        drop(idx);
        SessionGuard {
            hub: self.clone(),
            id,
            queue,
        }
    }

    /// Adds rooms to a registered user's index (rooms found in a snapshot).
    pub fn add_rooms(&self, user: UserId, rooms: impl IntoIterator<Item = RoomId>) {
        let mut idx = self.write();
        for room in rooms {
            idx.add_membership(user, room);
        }
    }

    fn deregister(&self, id: u64) {
        let mut idx = self.write();
        let Some(queue) = idx.sessions.remove(&id) else {
            return;
        };
        let user = queue.user_id;
        let last_session = match idx.by_user.get_mut(&user) {
            Some(ids) => {
                ids.retain(|&s| s != id);
                ids.is_empty()
            }
            None => true,
        };
        if last_session {
            idx.by_user.remove(&user);
            if let Some(rooms) = idx.user_rooms.remove(&user) {
                for room in rooms {
                    if let Some(users) = idx.room_users.get_mut(&room) {
                        users.remove(&user);
                        if users.is_empty() {
                            idx.room_users.remove(&room);
                        }
                    }
                }
            }
        }
    }

    /// Number of sessions of `user` on this node.
    pub fn session_count(&self, user: UserId) -> usize {
        self.read().by_user.get(&user).map_or(0, Vec::len)
    }

    pub fn total_sessions(&self) -> usize {
        self.read().sessions.len()
    }

    /// Users with at least one session on this node.
    pub fn local_users(&self) -> Vec<UserId> {
        self.read().by_user.keys().copied().collect()
    }

    /// Whether `user` has a session here and is in `room` per the index.
    pub fn is_in_room(&self, user: UserId, room: RoomId) -> bool {
        self.read()
            .user_rooms
            .get(&user)
            .is_some_and(|r| r.contains(&room))
    }

    /// Closes every session of a login session (revocation) with `code`.
    pub fn close_login_session(&self, session: SessionId, code: u16) {
        for q in self.read().sessions.values() {
            if q.session_id == session {
                q.close(code);
            }
        }
    }

    /// Asks every session's writer for a ping. One tick for the whole node
    /// (`tasks`), so a session carries no timer of its own and its writer
    /// wakes only for work.
    pub fn request_pings(&self) {
        for q in self.read().sessions.values() {
            q.request_ping();
        }
    }

    /// Closes every session (shutdown).
    pub fn close_all(&self, code: u16) {
        for q in self.read().sessions.values() {
            q.close(code);
        }
    }

    /// Delivers an event to its local audience, updating the membership index
    /// for membership events: a joining user receives the join itself; a
    /// leaving user receives the leave and nothing after it.
    pub fn dispatch(&self, audience: &Audience, event: &ServerEvent) {
        let frame = Frame::encode(event);
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        match event {
            ServerEvent::MemberJoined(e) => {
                self.write().add_membership(e.member.user.id, e.room_id)
            }
            ServerEvent::RoomJoined(e) => {
                if let Audience::Users { user_ids } = audience {
                    let mut idx = self.write();
                    for &u in user_ids {
                        idx.add_membership(u, e.room.id);
                    }
                }
            }
            _ => {}
        }
        self.deliver(audience, &frame);
        match event {
            ServerEvent::MemberLeft(e) => self.write().remove_membership(e.user_id, e.room_id),
            ServerEvent::RoomLeft(e) => {
                if let Audience::Users { user_ids } = audience {
                    let mut idx = self.write();
                    for &u in user_ids {
                        idx.remove_membership(u, e.room_id);
                    }
                }
            }
            _ => {}
        }
    }

    fn deliver(&self, audience: &Audience, frame: &Frame) {
        let idx = self.read();
        let mut delivered = 0u64;
        let mut overflowed = 0u64;
        let mut push_user = |user: &UserId, except: Option<SessionId>| {
            for sid in idx.by_user.get(user).into_iter().flatten() {
                if let Some(q) = idx.sessions.get(sid) {
                    if except == Some(q.session_id) {
                        continue;
                    }
                    match q.push(frame.clone()) {
                        Pushed::Queued => delivered += 1,
                        Pushed::Overflowed => overflowed += 1,
                        Pushed::Skipped | Pushed::Closed => {}
                    }
                }
            }
        };
        match audience {
            Audience::Room { room_id } => {
                for user in idx.room_users.get(room_id).into_iter().flatten() {
                    push_user(user, None);
                }
            }
            Audience::Users { user_ids } => {
                for user in user_ids {
                    push_user(user, None);
                }
            }
            Audience::UserExcept { user_id, except } => push_user(user_id, *except),
        }
        self.stats
            .deliveries
            .fetch_add(delivered, Ordering::Relaxed);
        if overflowed > 0 {
            self.stats
                .overflow_closes
                .fetch_add(overflowed, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use tokio_tungstenite::tungstenite::Utf8Bytes;

    #[test]
    fn the_queue_knows_since_when_its_oldest_frame_waits() {
        let hub = Hub::new();
        let guard = hub.register(UserId::new(), SessionId::new(), [], 8);
        let q = &guard.queue;
        assert_eq!(q.queued_since(), None);
        let frame = || Frame {
            text: Utf8Bytes::from_static("{}"),
            droppable: false,
        };
        assert_eq!(q.push(frame()), Pushed::Queued);
        let first = q.queued_since().expect("set by the first push");
        assert_eq!(q.push(frame()), Pushed::Queued);
        assert_eq!(q.queued_since(), Some(first), "the oldest frame's time");
        let mut batch = VecDeque::new();
        q.take_into(&mut batch);
        assert_eq!(batch.len(), 2);
        assert_eq!(q.queued_since(), None, "cleared by the drain");
    }

    #[tokio::test]
    async fn a_ping_request_wakes_every_writer_once() {
        let hub = Hub::new();
        let room = RoomId::new();
        let a = hub.register(UserId::new(), SessionId::new(), [room], 8);
        let b = hub.register(UserId::new(), SessionId::new(), [room], 8);
        assert!(!a.queue.take_ping());
        hub.request_pings();
        for guard in [&a, &b] {
            // Returns at once: the ping is due although no frame is queued.
            tokio::time::timeout(std::time::Duration::from_secs(5), guard.queue.ready())
                .await
                .expect("ready");
            assert!(guard.queue.take_ping());
            assert!(!guard.queue.take_ping(), "a request is taken once");
        }
    }
}
