//! Typing: a member's `typing` op becomes a `typing` event for the room,
//! at most one per user per room every 3 s, however many keystrokes or
//! devices send the op. Typing toward an anonymous post is announced to no
//! one: "X is typing…" followed by an anonymous message would name its
//! author (and an unnamed "someone is typing" is no event of the protocol).

use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::hub::Hub;
use hearth_protocol::gateway::{ServerEvent, TypingEvent};
use hearth_protocol::{RoomId, UserId};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TYPING_INTERVAL: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct TypingThrottle {
    /// A std Mutex: held for one map operation, never across an await.
    last: Mutex<HashMap<(UserId, RoomId), Instant>>,
}

impl TypingThrottle {
    /// True if a typing event may be published now (and records it).
    pub fn allow(&self, user: UserId, room: RoomId, now: Instant) -> bool {
        let mut last = match self.last.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if last.len() > 10_000 {
            last.retain(|_, t| now.duration_since(*t) < TYPING_INTERVAL);
        }
        match last.get(&(user, room)) {
            Some(t) if now.duration_since(*t) < TYPING_INTERVAL => false,
            _ => {
                last.insert((user, room), now);
                true
            }
        }
    }
}

/// Announces who is typing where.
#[derive(Clone)]
pub struct TypingService {
    /// Who is in which room on this node: a typing op needs no store read.
    hub: Arc<Hub>,
    events: Events,
    throttle: Arc<TypingThrottle>,
}

impl TypingService {
    pub fn new(hub: Arc<Hub>, events: Events) -> Self {
        Self {
            hub,
            events,
            throttle: Arc::default(),
        }
    }

    /// `user` is typing in `room_id` (a room their connection is in);
    /// `anonymous`: toward an anonymous post, so nothing is announced.
    pub fn typing(&self, user: UserId, room_id: RoomId, anonymous: bool) -> ApiResult<()> {
        if !self.hub.is_in_room(user, room_id) {
            return Err(ApiError::not_found("room"));
        }
        if anonymous {
            return Ok(());
        }
        if self.throttle.allow(user, room_id, Instant::now()) {
            self.events.to_room(
                room_id,
                ServerEvent::Typing(TypingEvent {
                    room_id,
                    user_id: user,
                }),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_typing_event_per_interval() {
        let t = TypingThrottle::default();
        let (u, r) = (UserId::new(), RoomId::new());
        let now = Instant::now();
        assert!(t.allow(u, r, now));
        assert!(!t.allow(u, r, now + Duration::from_secs(1)));
        assert!(t.allow(u, RoomId::new(), now + Duration::from_secs(1)));
        assert!(t.allow(u, r, now + TYPING_INTERVAL));
    }
}
