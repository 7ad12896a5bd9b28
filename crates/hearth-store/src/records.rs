//! Rows as the store holds them. The server turns these into wire DTOs.

use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::{MessageId, RoomId, SessionId, UploadId, UserId};
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub bio: String,
    pub status_text: String,
    pub avatar: Option<UploadId>,
    pub is_admin: bool,
    pub deactivated: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: UserId,
    /// Already validated and lower-cased.
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
}

/// `None` leaves a field unchanged; for `avatar`, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub status_text: Option<String>,
    pub avatar: Option<Option<UploadId>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub user_agent: String,
    pub ip: String,
    pub created_at: OffsetDateTime,
    pub last_active_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: SessionId,
    pub user_id: UserId,
    /// SHA-256 (hex) of the first refresh token; the token itself is never stored.
    pub refresh_hash: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// What presenting a refresh token led to.
#[derive(Clone, Debug, PartialEq)]
pub enum RefreshOutcome {
    /// The token was current: it is now spent and `new_hash` is current.
    Rotated(SessionRecord),
    /// The token had already been rotated: theft suspected, the whole session
    /// is now revoked.
    Reused(SessionRecord),
    /// Unknown token, or its session is revoked or expired.
    Invalid,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoomRecord {
    pub id: RoomId,
    pub kind: RoomKind,
    pub name: String,
    pub topic: String,
    pub description: String,
    pub avatar: Option<UploadId>,
    pub anonymous_allowed: bool,
    pub archived: bool,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    /// The seq of the latest change in the room (0 when nothing happened yet).
    pub last_seq: i64,
    /// Members, not counting banned users.
    pub member_count: i64,
}

#[derive(Clone, Debug)]
pub struct NewRoom {
    pub id: RoomId,
    pub kind: RoomKind,
    pub name: String,
    pub topic: String,
    pub description: String,
    pub anonymous_allowed: bool,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    /// For DMs, `"{lower id}:{higher id}"`: unique, so a pair has one DM.
    pub dm_key: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RoomPatch {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub description: Option<String>,
    pub anonymous_allowed: Option<bool>,
    pub archived: Option<bool>,
    pub avatar: Option<Option<UploadId>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MemberRecord {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: OffsetDateTime,
    pub read_seq: i64,
    pub delivered_seq: i64,
    pub muted: bool,
    /// A banned user keeps a row (so the ban sticks) but is not a member.
    pub banned: bool,
}

/// One row of a user's room list.
#[derive(Clone, Debug)]
pub struct RoomListEntry {
    pub room: RoomRecord,
    pub member: MemberRecord,
    /// Non-deleted messages from others with seq > read_seq.
    pub unread: i64,
    /// Of those, the ones mentioning the user or @room.
    pub mention_count: i64,
    /// The newest non-deleted message, if any.
    pub last_message: Option<MessageRecord>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub room_id: RoomId,
    pub seq: i64,
    pub updated_seq: i64,
    pub sender_id: UserId,
    pub body: String,
    pub nonce: Option<String>,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub mentions_room: bool,
    pub anonymous: bool,
    pub attachments: Vec<UploadId>,
    pub pinned: bool,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub id: MessageId,
    pub room_id: RoomId,
    pub sender_id: UserId,
    pub body: String,
    pub nonce: Option<String>,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub mentions_room: bool,
    pub anonymous: bool,
    pub attachments: Vec<UploadId>,
    pub created_at: OffsetDateTime,
}

/// An insert that may have found its row already there (idempotent writes).
#[derive(Clone, Debug, PartialEq)]
pub enum Inserted<T> {
    Created(T),
    Existing(T),
}

impl<T> Inserted<T> {
    pub fn into_inner(self) -> T {
        match self {
            Self::Created(t) | Self::Existing(t) => t,
        }
    }

    pub fn is_created(&self) -> bool {
        matches!(self, Self::Created(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReactionRecord {
    pub message_id: MessageId,
    pub user_id: UserId,
    pub emoji: String,
}

/// At most this many distinct emoji on one message.
pub const MAX_DISTINCT_REACTIONS: i64 = 20;
