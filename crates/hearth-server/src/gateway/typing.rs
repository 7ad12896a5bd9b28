//! Typing throttle: at most one `typing` event per user per room every 3 s,
//! however many keystrokes or devices send the op.

use hearth_protocol::{RoomId, UserId};
use std::collections::HashMap;
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
