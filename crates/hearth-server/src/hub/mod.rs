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
    /// Per user with a session here: how many membership events have
    /// passed. A session reading memberships from the store compares it
    /// before and after (see [`Hub::add_rooms_if_unchanged`]).
    versions: HashMap<UserId, u64>,
}

impl Index {
    fn add_membership(&mut self, user: UserId, room: RoomId) {
        if self.by_user.contains_key(&user) {
            self.room_users.entry(room).or_default().insert(user);
            self.user_rooms.entry(user).or_default().insert(room);
        }
    }

    /// A membership event for `user` passed (the index is changed by the
    /// caller).
    fn bump(&mut self, user: UserId) {
        if let Some(v) = self.versions.get_mut(&user) {
            *v += 1;
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
    /// A pause point for tests (see [`Hub::pause_next_subscribe`]).
    pause: std::sync::Mutex<Option<Arc<SubscribePause>>>,
}

/// Holds the next session between reading its memberships and subscribing
/// to them, so a test can change a membership in between.
#[derive(Default)]
pub struct SubscribePause {
    reached: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl SubscribePause {
    /// Resolves once a session has read its memberships and waits.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the session go on.
    pub fn release(&self) {
        self.release.notify_one();
    }
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
        idx.versions.entry(user).or_insert(0);
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

    /// How many membership events of `user` (registered) have passed: taken
    /// before reading memberships from the store, for
    /// [`Hub::add_rooms_if_unchanged`].
    pub fn membership_version(&self, user: UserId) -> u64 {
        self.read().versions.get(&user).copied().unwrap_or(0)
    }

    /// Adds rooms read from the store to a registered user's index — unless
    /// a membership event of the user passed since `version` was taken: the
    /// read may predate a kick whose event already went by, and adding its
    /// room back would keep the user subscribed. False then: read again.
    pub fn add_rooms_if_unchanged(
        &self,
        user: UserId,
        rooms: impl IntoIterator<Item = RoomId>,
        version: u64,
    ) -> bool {
        let mut idx = self.write();
        if idx.versions.get(&user) != Some(&version) {
            return false;
        }
        for room in rooms {
            idx.add_membership(user, room);
        }
        true
    }

    /// Makes a registered user's rooms exactly `rooms` (read from the store
    /// after a bus outage, when membership events may have been lost) —
    /// unless a membership event of the user passed since `version` was
    /// taken: false then, read again.
    pub fn set_rooms_if_unchanged(&self, user: UserId, rooms: &[RoomId], version: u64) -> bool {
        let mut idx = self.write();
        if idx.versions.get(&user) != Some(&version) {
            return false;
        }
        let wanted: HashSet<RoomId> = rooms.iter().copied().collect();
        let gone: Vec<RoomId> = idx
            .user_rooms
            .get(&user)
            .into_iter()
            .flatten()
            .filter(|r| !wanted.contains(r))
            .copied()
            .collect();
        for room in gone {
            idx.remove_membership(user, room);
        }
        for room in wanted {
            idx.add_membership(user, room);
        }
        true
    }

    /// Arms the pause point: the next session to subscribe waits there
    /// until released. For tests that force an interleaving.
    pub fn pause_next_subscribe(&self) -> Arc<SubscribePause> {
        let pause = Arc::new(SubscribePause::default());
        *self.pause.lock().unwrap_or_else(|p| p.into_inner()) = Some(pause.clone());
        pause
    }

    /// Where a session waits when a test armed the pause point.
    pub async fn subscribe_pause_point(&self) {
        let armed = self.pause.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(pause) = armed {
            pause.reached.notify_one();
            pause.release.notified().await;
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
            idx.versions.remove(&user);
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
        self.close_login_sessions(|s| s == session, code);
    }

    /// Closes the sessions of every login session `ended` picks, with `code`.
    pub fn close_login_sessions(&self, ended: impl Fn(SessionId) -> bool, code: u16) {
        for q in self.read().sessions.values() {
            if ended(q.session_id) {
                q.close(code);
            }
        }
    }

    /// The login sessions with a connection here, each once.
    pub fn login_sessions(&self) -> Vec<SessionId> {
        let ids: HashSet<SessionId> = self
            .read()
            .sessions
            .values()
            .map(|q| q.session_id)
            .collect();
        ids.into_iter().collect()
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
                let mut idx = self.write();
                idx.add_membership(e.member.user.id, e.room_id);
                idx.bump(e.member.user.id);
            }
            ServerEvent::RoomJoined(e) => {
                if let Audience::Users { user_ids } = audience {
                    let mut idx = self.write();
                    for &u in user_ids {
                        idx.add_membership(u, e.room.id);
                        idx.bump(u);
                    }
                }
            }
            _ => {}
        }
        self.deliver(audience, &frame);
        match event {
            ServerEvent::MemberLeft(e) => {
                let mut idx = self.write();
                idx.remove_membership(e.user_id, e.room_id);
                idx.bump(e.user_id);
            }
            ServerEvent::RoomLeft(e) => {
                if let Audience::Users { user_ids } = audience {
                    let mut idx = self.write();
                    for &u in user_ids {
                        idx.remove_membership(u, e.room_id);
                        idx.bump(u);
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

    #[test]
    fn rooms_read_before_a_membership_event_are_not_added() {
        let hub = Hub::new();
        let (user, room) = (UserId::new(), RoomId::new());
        let _guard = hub.register(user, SessionId::new(), [], 8);
        let version = hub.membership_version(user);
        // The user is kicked after the store was read, before subscribing.
        hub.dispatch(
            &Audience::Room { room_id: room },
            &ServerEvent::MemberLeft(hearth_protocol::gateway::MemberLeftEvent {
                room_id: room,
                user_id: user,
                banned: false,
            }),
        );
        assert!(!hub.add_rooms_if_unchanged(user, [room], version));
        assert!(!hub.is_in_room(user, room));
        let version = hub.membership_version(user);
        assert!(hub.add_rooms_if_unchanged(user, [], version));
    }

    #[test]
    fn rooms_are_replaced_after_an_outage() {
        let hub = Hub::new();
        let (user, kept, lost, new) = (UserId::new(), RoomId::new(), RoomId::new(), RoomId::new());
        let _guard = hub.register(user, SessionId::new(), [kept, lost], 8);
        let version = hub.membership_version(user);
        assert!(hub.set_rooms_if_unchanged(user, &[kept, new], version));
        assert!(hub.is_in_room(user, kept) && hub.is_in_room(user, new));
        assert!(!hub.is_in_room(user, lost));
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
