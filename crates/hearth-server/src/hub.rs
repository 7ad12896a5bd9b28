//! The hub: fans encoded events out to this node's gateway sessions.
//!
//! Each event is serialised once; every recipient's queue holds a clone of the
//! same `Bytes`. Each session has a bounded queue drained by its own writer
//! task; a session that falls too far behind is closed with 4008 (resume)
//! instead of slowing anyone else or growing memory. The hub also keeps, for
//! users with a session here, which rooms they are in, so a room's audience is
//! found in memory; membership events update that index as they pass.

use hearth_protocol::gateway::{ServerEvent, close_code};
use hearth_protocol::{RoomId, SessionId, UserId};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Who an event is for.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Every member of the room with a session.
    Room { room_id: RoomId },
    /// These users' sessions.
    Users { user_ids: Vec<UserId> },
    /// Every session of the user except one (e.g. the device that acted).
    UserExcept {
        user_id: UserId,
        except: Option<SessionId>,
    },
}

/// An encoded frame, shared by every queue it is pushed to.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The JSON text, validated as UTF-8 once when encoded.
    pub text: Utf8Bytes,
    /// Typing and presence: dropped first when a queue is half full.
    pub droppable: bool,
}

impl Frame {
    pub fn encode(event: &ServerEvent) -> Frame {
        // Serialising our own enum cannot fail (no maps with non-string keys).
        let text = serde_json::to_string(event).unwrap_or_default();
        Frame {
            text: Utf8Bytes::from(text),
            droppable: event.is_droppable(),
        }
    }
}

/// What became of a pushed frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// A droppable frame (typing, presence) skipped for a lagging session.
    Skipped,
    /// The session was already closed.
    Closed,
    /// This frame overflowed the queue, which is now closed with 4008.
    Overflowed,
}

/// One gateway session's outgoing queue.
pub struct SessionQueue {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// A std Mutex: it is held only to push or drain, never across an await.
    pending: Mutex<Pending>,
    capacity: usize,
    notify: Notify,
    /// Wakes the session's reader when the queue is closed.
    closed: Notify,
    /// 0 while open; otherwise the close code the writer must send.
    close_code: AtomicU16,
    /// Set by the hub's ping tick: the writer owes the client a ping.
    ping_due: AtomicBool,
}

impl SessionQueue {
    fn new(user_id: UserId, session_id: SessionId, capacity: usize) -> Self {
        Self {
            user_id,
            session_id,
            // Empty until the first push: an idle session's queue costs
            // no allocation, a busy one grows it as needed.
            pending: Mutex::new(Pending::default()),
            capacity,
            notify: Notify::new(),
            closed: Notify::new(),
            close_code: AtomicU16::new(0),
            ping_due: AtomicBool::new(false),
        }
    }

    /// Queues a frame, or closes the session with 4008 if it is full.
    pub fn push(&self, frame: Frame) -> Pushed {
        if self.close_code.load(Ordering::Acquire) != 0 {
            return Pushed::Closed;
        }
        let mut pending = self.lock();
        let queued = pending.frames.len();
        if frame.droppable && queued * 2 >= self.capacity {
            return Pushed::Skipped;
        }
        if queued >= self.capacity {
            pending.frames.clear();
            pending.since = None;
            drop(pending);
            // Concurrent pushes may all find it full; one of them closes it.
            return if self.close(close_code::RESUME) {
                Pushed::Overflowed
            } else {
                Pushed::Closed
            };
        }
        if queued == 0 {
            pending.since = Some(Instant::now());
        }
        pending.frames.push_back(frame);
        drop(pending);
        self.notify.notify_one();
        Pushed::Queued
    }

    /// Asks the writer to close the connection with `code` (the first code
    /// wins). Returns whether this call closed it.
    pub fn close(&self, code: u16) -> bool {
        let first = self
            .close_code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        self.notify.notify_one();
        self.closed.notify_waiters();
        first
    }

    /// Resolves once the queue is closed (for any reason).
    pub async fn closed(&self) {
        let mut notified = std::pin::pin!(self.closed.notified());
        // Registered before the check, so a close in between still wakes us.
        notified.as_mut().enable();
        if self.close_code().is_some() {
            return;
        }
        notified.await;
    }

    pub fn close_code(&self) -> Option<u16> {
        match self.close_code.load(Ordering::Acquire) {
            0 => None,
            c => Some(c),
        }
    }

    /// Asks the writer to send a ping (see [`Hub::request_pings`]).
    pub fn request_ping(&self) {
        self.ping_due.store(true, Ordering::Release);
        self.notify.notify_one();
    }

    /// Whether a ping is due; clears the request.
    pub fn take_ping(&self) -> bool {
        self.ping_due.swap(false, Ordering::AcqRel)
    }

    /// Waits until there is something to write (frames, a ping) or the
    /// session must close.
    pub async fn ready(&self) {
        loop {
            let notified = self.notify.notified();
            if self.close_code().is_some()
                || self.ping_due.load(Ordering::Acquire)
                || !self.is_empty()
            {
                return;
            }
            notified.await;
        }
    }

    fn is_empty(&self) -> bool {
        self.lock().frames.is_empty()
    }

    /// When the oldest frame still queued was pushed: how long the writer
    /// took to get to it tells it how busy the node is.
    pub fn queued_since(&self) -> Option<Instant> {
        self.lock().since
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        match self.pending.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Takes everything queued, so the writer can send it all and flush
    /// once: swaps the queue with `spare`, which must be empty (the writer's
    /// emptied batch), so no frame is copied and no memory allocated.
    pub fn take_into(&self, spare: &mut VecDeque<Frame>) {
        debug_assert!(spare.is_empty());
        let mut pending = self.lock();
        std::mem::swap(&mut pending.frames, spare);
        pending.since = None;
    }
}

/// A session's queued frames.
#[derive(Default)]
struct Pending {
    frames: VecDeque<Frame>,
    /// When the first of `frames` was pushed; `None` while empty.
    since: Option<Instant>,
}

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
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let queue = Arc::new(SessionQueue::new(user, session, capacity));
        let mut idx = self.write();
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
