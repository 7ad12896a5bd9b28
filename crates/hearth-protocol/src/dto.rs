//! REST bodies of `/api/v1`. Requests reject unknown fields' wrong types with a
//! 400; responses are what clients render.

use crate::ids::{MessageId, RoomId, SessionId, UploadId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

// Schema patterns (`pattern = …`) restate the server's checks so that a
// generated request, or a client, can tell a valid value from the document:
// free text has no control characters but tab and newline (the server's
// `bounded_text`); a name also has something besides white space; a body
// has no NUL; a nonce is 1–64 visible ASCII characters.

/// A user's own full profile (what `GET /users/me` returns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub status_text: String,
    /// An IANA time zone name (`Europe/Berlin`), or empty when not given.
    #[serde(default)]
    pub time_zone: String,
    pub avatar_url: Option<String>,
    /// Only present for the user themself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the e-mail address is verified; only for the user themself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Whether logins need a TOTP code; only for the user themself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_enabled: Option<bool>,
    /// Do-not-disturb (no pushes, no e-mail) until this time; only for the
    /// user themself, and only while it is on.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub dnd_until: Option<OffsetDateTime>,
    pub is_admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The short form of a user embedded in messages and member lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    /// Only in `GET /users` (people search): whether they are online now,
    /// also for people you share no room with (a new DM's picker shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub presence: Option<crate::gateway::PresenceStatus>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    #[serde(default)]
    #[schema(
        max_length = 64,
        pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Needed when the server's registration is invite-only.
    #[serde(default)]
    pub invite_code: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or e-mail address.
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Answer to register, login and refresh.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthResponse {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[serde(default)]
    #[schema(
        max_length = 64,
        pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")]
    pub bio: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")]
    pub status_text: Option<String>,
    /// An IANA time zone name (`Europe/Berlin`); empty clears it.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// An upload id of an image, or null to clear.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub avatar: Option<Option<UploadId>>,
    /// Do-not-disturb: `true` until turned off, `false` off.
    #[serde(default)]
    pub dnd: Option<bool>,
    /// Do-not-disturb until this time (RFC 3339); `null` turns it off.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub dnd_until: Option<Option<DndUntil>>,
}

/// An RFC 3339 time on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DndUntil(#[serde(with = "time::serde::rfc3339")] pub OffsetDateTime);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Dm,
    Group,
    Channel,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dm => "dm",
            Self::Group => "group",
            Self::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "dm" => Some(Self::Dm),
            "group" => Some(Self::Group),
            "channel" => Some(Self::Channel),
            _ => None,
        }
    }
}

/// A member's role in a room, from most to least powerful.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Moderator,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Moderator => "moderator",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "moderator" => Some(Self::Moderator),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoomRequest {
    pub kind: RoomKind,
    /// Required for groups and channels; a DM has none.
    #[serde(default)]
    #[schema(
        max_length = 80,
        pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 250, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")]
    pub topic: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")]
    pub description: Option<String>,
    /// The others to add; a DM has exactly one.
    #[serde(default)]
    #[schema(max_items = 256)]
    pub members: Vec<UserId>,
    #[serde(default)]
    pub anonymous_allowed: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoomRequest {
    #[serde(default)]
    #[schema(
        max_length = 80,
        pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 250, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")]
    pub topic: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")]
    pub description: Option<String>,
    #[serde(default)]
    pub anonymous_allowed: Option<bool>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub avatar: Option<Option<UploadId>>,
}

/// A room as seen by one member.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Room {
    pub id: RoomId,
    pub kind: RoomKind,
    pub name: String,
    pub topic: String,
    pub description: String,
    pub avatar_url: Option<String>,
    pub anonymous_allowed: bool,
    pub archived: bool,
    pub member_count: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The caller's role, if a member.
    pub my_role: Option<Role>,
    /// For a DM, the other person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<UserSummary>,
    pub last_seq: i64,
    pub read_seq: i64,
    /// Messages after `read_seq` from others, not deleted.
    pub unread: i64,
    /// Unread messages that mention the caller or @room.
    pub mention_count: i64,
    pub last_message: Option<Message>,
    /// The caller's notification level here, if a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_level: Option<crate::notifications::NotifyLevel>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user: UserSummary,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    pub read_seq: i64,
    pub delivered_seq: i64,
    pub muted: bool,
    /// The member's presence right now (`online`, `idle` or `offline`): set
    /// in `GET /rooms/{id}/members` only. Presence events come only through
    /// small rooms (see docs/protocol.md, Presence), so this is how a client
    /// learns it for the members of a big room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub presence: Option<crate::gateway::PresenceStatus>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembersRequest {
    #[schema(min_items = 1, max_items = 100)]
    pub user_ids: Vec<UserId>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub muted: Option<bool>,
}

/// `DELETE /rooms/{id}/members/{user_id}` query: `?ban=true` bans as well.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveMemberQuery {
    #[serde(default)]
    pub ban: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// At most the server's `max_message_chars` (4000 by default); blank
    /// only with attachments.
    #[schema(max_length = 4000, pattern = r"^[^\x00]*$")]
    pub body: String,
    #[serde(default)]
    #[schema(pattern = r"^[\x21-\x7E]{1,64}$")]
    pub nonce: Option<String>,
    #[serde(default)]
    pub reply_to: Option<MessageId>,
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachments: Vec<UploadId>,
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    #[schema(max_length = 4000, pattern = r"^[^\x00]*$")]
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    #[schema(minimum = 0)]
    pub seq: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadMarker {
    pub room_id: RoomId,
    pub read_seq: i64,
    pub unread: i64,
    pub mention_count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReactionSummary {
    pub emoji: String,
    pub count: u32,
    /// Whether the caller is among those who reacted.
    pub me: bool,
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: UploadId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waveform: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    pub seq: i64,
    /// The room seq of the latest change to this message (edit, delete, reaction).
    pub updated_seq: i64,
    /// Null for anonymous posts and deleted messages.
    pub sender: Option<UserSummary>,
    pub body: String,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub mentions_room: bool,
    pub attachments: Vec<Attachment>,
    pub reactions: Vec<ReactionSummary>,
    pub anonymous: bool,
    pub pinned: bool,
    /// The sender's nonce, so any of their devices can match an optimistic
    /// copy. Absent on anonymous posts except in the sender's own views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
}

/// `GET /rooms/{id}/messages` answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// True when more messages exist beyond this page in the requested direction.
    pub has_more: bool,
    pub last_seq: i64,
}

/// `GET /rooms/{id}/pins`: the room's pinned messages, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PinnedMessages {
    pub messages: Vec<Message>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub id: SessionId,
    pub user_agent: String,
    pub ip: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_active_at: OffsetDateTime,
    pub current: bool,
}

/// `POST /auth/totp/setup` answer: a new secret to load into an
/// authenticator app; two-factor is on only once a code from it is confirmed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpSetup {
    /// The secret, base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…`: what the QR code encodes.
    pub otpauth_uri: String,
    /// The QR code as a `data:image/svg+xml;base64,…` URL.
    pub qr_data_url: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpEnableRequest {
    /// A current code from the authenticator app.
    pub code: String,
    /// The account's password: a stolen access token alone must not be
    /// enough to put someone else's authenticator on the account.
    pub password: String,
}

/// `POST /auth/totp/enable` answer: shown once, never again.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    /// Single-use codes that stand in for a TOTP code at login.
    pub recovery_codes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpDisableRequest {
    pub password: String,
    /// A current TOTP code or an unused recovery code.
    pub code: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub new_password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the link in the e-mail.
    pub token: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailConfirm {
    /// The token from the link in the e-mail.
    pub token: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    pub password: String,
}

/// How many sessions a bulk revocation ended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RevokedCount {
    pub revoked: u64,
}

/// `{"status": "..."}` answers of the health endpoints.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// Serde helper telling "absent" (no change) from `null` (clear).
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `GET /api/v1/server`: what a client needs to know about this server
/// before (and after) signing in. Public.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerInfo {
    /// Whether the server sends e-mail (password resets, address checks,
    /// digests); without it, "forgot password" needs an administrator.
    pub email: bool,
    /// `open`, `invite` (a code is needed) or `closed`.
    pub registration: String,
    /// The longest message body accepted, in characters (Unicode scalar values).
    pub max_message_chars: u32,
}
