//! Who an event is for: a room, some users, or a user's other sessions.

use hearth_protocol::{RoomId, SessionId, UserId};

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
