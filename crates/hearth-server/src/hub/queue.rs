//! One gateway session's outgoing queue: bounded, droppable frames shed
//! first, overflow closes the session with 4008 (resume).

use super::Frame;
use hearth_protocol::gateway::close_code;
use hearth_protocol::{SessionId, UserId};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Instant;
use tokio::sync::Notify;

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
    pub(super) fn new(user_id: UserId, session_id: SessionId, capacity: usize) -> Self {
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

    pub(super) fn is_empty(&self) -> bool {
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
