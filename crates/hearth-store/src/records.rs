//! Rows as the store holds them. The server turns these into wire DTOs.

use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::gateway::RoomPosition;
use hearth_protocol::notifications::NotifyLevel;
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
    /// An IANA time zone name, or empty when not given.
    pub time_zone: String,
    pub avatar: Option<UploadId>,
    pub is_admin: bool,
    pub deactivated: bool,
    /// The owner proved they receive mail at `email`.
    pub email_verified: bool,
    /// Logins need a TOTP code (see [`crate::SecurityStore`]).
    pub totp_enabled: bool,
    /// Do-not-disturb (no pushes, no mail) until then; `None`: off.
    pub dnd_until: Option<OffsetDateTime>,
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
    pub time_zone: Option<String>,
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

/// A login session's revocation, as recorded when its `revoked_at` was set
/// (by whatever ended it: sign-out, revoke, password change, deactivation,
/// refresh-token reuse, the admin CLI).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRevocation {
    /// Orders revocations as they were recorded.
    pub seq: i64,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub revoked_at: OffsetDateTime,
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
    /// The level the member chose; `None` follows the room kind's default
    /// (see [`default_notify_level`]).
    pub notify_level: Option<NotifyLevel>,
}

/// What sending a message checks and tells, read together (see
/// [`Store::sending_context`](crate::Store::sending_context)).
#[derive(Clone, Debug, PartialEq)]
pub struct SendingContext {
    pub room: RoomRecord,
    /// The sender's membership row (a banned one included); `None`: not a member.
    pub member: Option<MemberRecord>,
    /// `None` when the sender's account is gone.
    pub sender: Option<UserRecord>,
    /// Members (not banned) whose notification level is `all`, in no order.
    pub notify_all: Vec<UserId>,
}

/// The notification level of a member who chose none: every message of a
/// DM, mentions elsewhere.
pub fn default_notify_level(kind: RoomKind) -> NotifyLevel {
    match kind {
        RoomKind::Dm => NotifyLevel::All,
        RoomKind::Group | RoomKind::Channel => NotifyLevel::Mentions,
    }
}

/// One row of a user's room list.
#[derive(Clone, Debug, PartialEq)]
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

impl RoomListEntry {
    /// Where the user stands in this room, as `ready` and `resync` tell it.
    pub fn position(&self) -> RoomPosition {
        RoomPosition {
            id: self.room.id,
            last_seq: self.room.last_seq,
            read_seq: self.member.read_seq,
            unread: self.unread,
            mention_count: self.mention_count,
        }
    }
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

/// Unread counts stop here (clients show "99+"): counting walks the unread
/// messages, and a connect reads every room's count. Must match the `LIMIT`
/// in `unread_columns!` (`sql/rooms.rs`), written once for both backends.
pub const MAX_UNREAD_COUNT: i64 = 100;

/// An uploaded file as the store knows it; the bytes live in blob storage
/// under `sha256`, shared by every upload of the same content.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRecord {
    pub id: UploadId,
    pub uploader_id: UserId,
    /// Sanitised by the server.
    pub filename: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: i64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u32>,
    /// At most 256 samples.
    pub waveform: Option<Vec<u8>>,
    /// Content type of the server-made renditions (thumbnail, avatar), for
    /// images; `None` when there are none.
    pub preview_type: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A user's two-factor state, as [`crate::SecurityStore`] keeps it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TotpState {
    /// The secret as the server sealed it; set by setup, kept while enabled.
    pub secret: Option<String>,
    pub enabled: bool,
    /// The latest time step whose code was accepted.
    pub last_step: Option<i64>,
}

/// What a link sent by e-mail is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmailTokenPurpose {
    PasswordReset,
    VerifyEmail,
}

impl EmailTokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::VerifyEmail => "verify_email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "password_reset" => Some(Self::PasswordReset),
            "verify_email" => Some(Self::VerifyEmail),
            _ => None,
        }
    }
}

/// A single-use token sent by e-mail; the store knows only its hash.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailTokenRecord {
    /// SHA-256 (hex) of the token in the link.
    pub hash: String,
    pub user_id: UserId,
    pub purpose: EmailTokenPurpose,
    /// The address the link was sent to.
    pub email: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

#[derive(Clone, Debug)]
pub struct NewEmailToken {
    pub hash: String,
    pub user_id: UserId,
    pub purpose: EmailTokenPurpose,
    pub email: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A message search (see [`crate::SearchStore`]).
#[derive(Clone, Debug)]
pub struct SearchQuery {
    /// Whose readable messages: those of rooms they are a member of now.
    pub user: UserId,
    /// The user's words as typed; each backend escapes them itself.
    pub text: String,
    pub room: Option<RoomId>,
    /// Only messages this user posted under their name (never anonymous ones).
    pub from: Option<UserId>,
    /// Only messages created before this time.
    pub before: Option<OffsetDateTime>,
    /// Only messages created at or after this time.
    pub after: Option<OffsetDateTime>,
    pub has: Option<hearth_protocol::search::SearchHas>,
    /// Only hits whose [`SearchHit::position`] is below this (the next page).
    pub before_position: Option<i64>,
    pub limit: u32,
}

impl SearchQuery {
    /// A filter beyond the words is set: a query with filters and no words
    /// lists the matching messages, newest first.
    pub fn has_filters(&self) -> bool {
        self.room.is_some()
            || self.from.is_some()
            || self.before.is_some()
            || self.after.is_some()
            || self.has.is_some()
    }
}

/// One message found by a search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    pub message: MessageRecord,
    /// Plain text around the matches, on one line, `…` where cut.
    pub snippet: String,
    /// The matched words in `snippet`: `[start, end)` in chars, ascending.
    pub highlights: Vec<(u32, u32)>,
    /// The hit's place in the newest-first order (larger is newer); opaque
    /// to callers, who only pass it back as `before_position`.
    pub position: i64,
}

/// A browser's Web Push subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct PushSubscriptionRecord {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    /// The login session that subscribed: the subscription ends with it.
    pub session_id: Option<SessionId>,
    /// The push service URL; unique: one browser, one subscription.
    pub endpoint: String,
    /// The browser's P-256 public key (base64url).
    pub p256dh: String,
    /// The browser's auth secret (base64url).
    pub auth: String,
    pub created_at: OffsetDateTime,
}

/// A user who may be mailed a digest, and where their next digest starts.
#[derive(Clone, Debug, PartialEq)]
pub struct DigestRecipient {
    pub user: UserRecord,
    /// Messages created up to this time were covered by earlier digests.
    pub since: OffsetDateTime,
}
