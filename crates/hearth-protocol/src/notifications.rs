//! Notification settings and Web Push: per-room levels, push subscriptions.

use crate::ids::RoomId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which messages of a room notify a member (gateway `notification` events,
/// Web Push, e-mail digests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message from others.
    All,
    /// Messages that mention the member or @room; in a DM, every message.
    Mentions,
    /// Nothing.
    None,
}

impl NotifyLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Self::All),
            "mentions" => Some(Self::Mentions),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// `PATCH /rooms/{id}/notifications` body.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoomNotificationsRequest {
    /// The new level; `null` returns to the room kind's default (DMs: `all`,
    /// groups and channels: `mentions`). Required: absent is an error.
    // `deserialize_with` stops serde from treating a missing field as null.
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(required = true)]
    pub level: Option<NotifyLevel>,
}

/// The caller's notification setting in one room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoomNotifications {
    pub room_id: RoomId,
    /// The level in effect.
    pub level: NotifyLevel,
    /// False while the level is the room kind's default.
    pub explicit: bool,
}

/// `GET /push/vapid-public-key` answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VapidPublicKey {
    /// The server's P-256 public key, uncompressed, base64url without
    /// padding: `applicationServerKey` for `pushManager.subscribe`.
    pub public_key: String,
}

/// The keys of a browser push subscription, as `PushSubscription.toJSON()`
/// gives them (base64url).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// `POST /push/subscriptions` body: `PushSubscription.toJSON()`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PushSubscriptionRequest {
    pub endpoint: String,
    pub keys: PushKeys,
}

/// `DELETE /push/subscriptions` body.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletePushSubscriptionRequest {
    pub endpoint: String,
}

/// What a push message carries (JSON, encrypted for the browser).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PushPayload {
    /// `mention`, `dm` or `message`, as in the gateway's `notification`.
    pub kind: String,
    pub room_id: RoomId,
    pub message_id: Option<crate::ids::MessageId>,
    pub title: String,
    /// The start of the message, plain text.
    pub body: String,
    /// Where the client opens (a path of the web client).
    pub url: String,
}
