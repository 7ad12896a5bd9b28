//! The WebSocket protocol at `/api/v1/gateway`.
//!
//! Client frames are `{"op": NAME, ...fields}` ([`ClientOp`]); server frames are
//! `{"t": NAME, "d": {...}}` ([`ServerEvent`]). Close codes are in [`close_code`].

use crate::dto::{Member, Message, ReactionSummary, Room, User};
use crate::error::ErrorCode;
use crate::ids::{MessageId, RoomId, SessionId, UploadId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// WebSocket close codes the server uses.
pub mod close_code {
    /// No `auth` within the deadline, or a bad / expired / revoked token.
    pub const AUTH_FAILED: u16 = 4001;
    /// The session's send queue overflowed: reconnect and catch up.
    pub const RESUME: u16 = 4008;
    /// Sustained op flooding.
    pub const RATE_LIMITED: u16 = 4029;
    /// The session was revoked (signed out elsewhere).
    pub const SESSION_REVOKED: u16 = 4003;
    /// Server restarting or shutting down: reconnect, possibly to another node.
    pub const SERVICE_RESTART: u16 = 1012;
    /// A frame exceeded the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
}

/// What a client sends.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientOp {
    Auth {
        token: String,
    },
    Send {
        room_id: RoomId,
        nonce: String,
        body: String,
        #[serde(default)]
        reply_to: Option<MessageId>,
        #[serde(default)]
        attachments: Vec<UploadId>,
        #[serde(default)]
        anonymous: bool,
    },
    Typing {
        room_id: RoomId,
        /// The user is composing an anonymous post: the server tells no one
        /// (a "typing" naming them would give the post's author away).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        anonymous: bool,
    },
    Read {
        room_id: RoomId,
        seq: i64,
    },
    Delivered {
        room_id: RoomId,
        seq: i64,
    },
    Presence {
        status: PresenceStatus,
    },
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        n: Option<u64>,
    },
    #[serde(rename = "call.signal")]
    CallSignal {
        room_id: RoomId,
        to: UserId,
        data: serde_json::Value,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Active,
    Idle,
    Offline,
}

/// One room's position in the `ready` snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomPosition {
    pub id: RoomId,
    pub last_seq: i64,
    pub read_seq: i64,
    pub unread: i64,
    pub mention_count: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ready {
    pub user: User,
    pub session_id: SessionId,
    pub rooms: Vec<RoomPosition>,
    /// Seconds between server pings; a client should send `ping` at least this often.
    pub heartbeat_interval: u64,
    /// Users sharing a room of at most `presence_room_limit` members with
    /// you who are online or idle right now.
    #[serde(default)]
    pub presence: Vec<PresenceEvent>,
    /// Presence is announced only through rooms of at most this many
    /// members; for bigger rooms read it from the member list.
    #[serde(default)]
    pub presence_room_limit: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageEvent {
    pub message: Message,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReactionEvent {
    pub room_id: RoomId,
    pub message_id: MessageId,
    /// The room seq this change took (the message's new `updated_seq`).
    pub seq: i64,
    pub user_id: UserId,
    pub emoji: String,
    pub added: bool,
    /// Totals after the change; `me` is always false here (a shared frame).
    pub reactions: Vec<ReactionSummary>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TypingEvent {
    pub room_id: RoomId,
    pub user_id: UserId,
}

/// A user's public profile changed (display name, avatar, status text, bio).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserEvent {
    pub user: User,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PresenceEvent {
    pub user_id: UserId,
    pub status: PresenceStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReceiptEvent {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub seq: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoomEvent {
    pub room: Room,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoomLeftEvent {
    pub room_id: RoomId,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberEvent {
    pub room_id: RoomId,
    pub member: Member,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberLeftEvent {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub banned: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Mention,
    Dm,
    AddedToRoom,
    /// Any other message, for members whose level is `all`.
    Message,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotificationEvent {
    pub kind: NotificationKind,
    pub room_id: RoomId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallSignalEvent {
    pub room_id: RoomId,
    pub from: UserId,
    pub data: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AckEvent {
    pub nonce: String,
    pub message: Message,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorEvent {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PongEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
}

/// Tells the client that it may have missed events (the bus was down) and must
/// catch up with `after=` fetches, exactly as after a reconnect.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResyncEvent {
    pub rooms: Vec<RoomPosition>,
}

/// What the server sends.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", content = "d")]
pub enum ServerEvent {
    #[serde(rename = "ready")]
    Ready(Box<Ready>),
    #[serde(rename = "ack")]
    Ack(Box<AckEvent>),
    #[serde(rename = "pong")]
    Pong(PongEvent),
    #[serde(rename = "error")]
    Error(ErrorEvent),
    #[serde(rename = "message.created")]
    MessageCreated(Box<MessageEvent>),
    #[serde(rename = "message.updated")]
    MessageUpdated(Box<MessageEvent>),
    #[serde(rename = "message.deleted")]
    MessageDeleted(Box<MessageEvent>),
    #[serde(rename = "reaction.updated")]
    ReactionUpdated(ReactionEvent),
    #[serde(rename = "typing")]
    Typing(TypingEvent),
    #[serde(rename = "presence")]
    Presence(PresenceEvent),
    #[serde(rename = "read")]
    Read(ReceiptEvent),
    #[serde(rename = "delivered")]
    Delivered(ReceiptEvent),
    #[serde(rename = "room.joined")]
    RoomJoined(Box<RoomEvent>),
    #[serde(rename = "room.updated")]
    RoomUpdated(Box<RoomEvent>),
    #[serde(rename = "room.left")]
    RoomLeft(RoomLeftEvent),
    #[serde(rename = "member.joined")]
    MemberJoined(Box<MemberEvent>),
    #[serde(rename = "member.updated")]
    MemberUpdated(Box<MemberEvent>),
    #[serde(rename = "member.left")]
    MemberLeft(MemberLeftEvent),
    #[serde(rename = "notification")]
    Notification(Box<NotificationEvent>),
    #[serde(rename = "call.signal")]
    CallSignal(CallSignalEvent),
    #[serde(rename = "resync")]
    Resync(ResyncEvent),
    #[serde(rename = "user.updated")]
    UserUpdated(Box<UserEvent>),
}

impl ServerEvent {
    /// Typing and presence may be dropped for a lagging session; nothing else may.
    pub fn is_droppable(&self) -> bool {
        matches!(self, Self::Typing(_) | Self::Presence(_))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Ready(_) => "ready",
            Self::Ack(_) => "ack",
            Self::Pong(_) => "pong",
            Self::Error(_) => "error",
            Self::MessageCreated(_) => "message.created",
            Self::MessageUpdated(_) => "message.updated",
            Self::MessageDeleted(_) => "message.deleted",
            Self::ReactionUpdated(_) => "reaction.updated",
            Self::Typing(_) => "typing",
            Self::Presence(_) => "presence",
            Self::Read(_) => "read",
            Self::Delivered(_) => "delivered",
            Self::RoomJoined(_) => "room.joined",
            Self::RoomUpdated(_) => "room.updated",
            Self::RoomLeft(_) => "room.left",
            Self::MemberJoined(_) => "member.joined",
            Self::MemberUpdated(_) => "member.updated",
            Self::MemberLeft(_) => "member.left",
            Self::Notification(_) => "notification",
            Self::CallSignal(_) => "call.signal",
            Self::Resync(_) => "resync",
            Self::UserUpdated(_) => "user.updated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ops_parse_from_contract_frames() -> Result<(), serde_json::Error> {
        let op: ClientOp = serde_json::from_str(r#"{"op":"auth","token":"abc"}"#)?;
        assert!(matches!(op, ClientOp::Auth { token } if token == "abc"));
        let op: ClientOp = serde_json::from_str(r#"{"op":"ping"}"#)?;
        assert!(matches!(op, ClientOp::Ping { n: None }));
        let op: ClientOp = serde_json::from_str(
            r#"{"op":"call.signal","room_id":"0190f0f0-0000-7000-8000-000000000000","to":"0190f0f0-0000-7000-8000-000000000001","data":{"sdp":"x"}}"#,
        )?;
        assert!(matches!(op, ClientOp::CallSignal { .. }));
        assert!(serde_json::from_str::<ClientOp>(r#"{"op":"dance"}"#).is_err());
        Ok(())
    }

    #[test]
    fn server_events_use_t_and_d() -> Result<(), serde_json::Error> {
        let ev = ServerEvent::Pong(PongEvent { n: Some(3) });
        assert_eq!(serde_json::to_string(&ev)?, r#"{"t":"pong","d":{"n":3}}"#);
        Ok(())
    }
}
