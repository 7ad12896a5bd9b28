//! Notifications: who hears about a new message and how — the gateway's
//! `notification` event, Web Push for users with no open session — following
//! each member's per-room level and each user's do-not-disturb; plus the
//! settings themselves and push subscriptions.
//!
//! The rules:
//! - a member's level is the one they chose, or the room kind's default
//!   (DMs `all`, groups and channels `mentions`);
//! - `all`: every message from others; `mentions`: messages that mention
//!   them or @room, and every message of a DM; `none`: nothing;
//! - pushes (and e-mail digests, see `service::digest`) skip users in
//!   do-not-disturb; gateway events do not (the client is open anyway).

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::hub::Hub;
use crate::push::{BrowserKeys, Delivery, WebPush};
use crate::service::access::{Access, RoomAccess};
use crate::service::permissions::Action;
use hearth_protocol::dto::{Message, RoomKind};
use hearth_protocol::gateway::{NotificationEvent, NotificationKind, ServerEvent};
use hearth_protocol::notifications::{
    NotifyLevel, PushPayload, PushSubscriptionRequest, RoomNotifications,
};
use hearth_protocol::{RoomId, UserId};
use hearth_store::{PushSubscriptionRecord, Store, StoreError, default_notify_level};
use std::collections::HashSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// Longest message text carried in a push.
const PUSH_BODY_CHARS: usize = 200;
/// "Do not disturb until I turn it off" is stored as this far-off time.
pub const DND_FOREVER: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);

/// Why a user hears about a message, or whether they do at all.
pub fn notification_kind(
    room_kind: RoomKind,
    level: NotifyLevel,
    mentioned: bool,
) -> Option<NotificationKind> {
    let kind = if room_kind == RoomKind::Dm {
        NotificationKind::Dm
    } else if mentioned {
        NotificationKind::Mention
    } else {
        NotificationKind::Message
    };
    match (level, kind) {
        (NotifyLevel::None, _) => None,
        (NotifyLevel::Mentions, NotificationKind::Message) => None,
        _ => Some(kind),
    }
}

/// Decides and delivers notifications; keeps the per-room levels and the
/// push subscriptions.
#[derive(Clone)]
pub struct NotificationService {
    store: Arc<dyn Store>,
    events: Events,
    access: RoomAccess,
    /// Whether a user has a session on this node (no session: push).
    hub: Arc<Hub>,
    push: Arc<WebPush>,
}

impl NotificationService {
    pub fn new(
        store: Arc<dyn Store>,
        events: Events,
        access: RoomAccess,
        hub: Arc<Hub>,
        push: Arc<WebPush>,
    ) -> Self {
        Self {
            store,
            events,
            access,
            hub,
            push,
        }
    }

    /// Tells the members who should hear about `message` (just created by the
    /// member in `access`): gateway events now, pushes in the background.
    /// `notify_all`: the room's members who chose to hear of every message.
    pub async fn message_created(
        &self,
        access: &Access,
        message: &Message,
        notify_all: &[UserId],
    ) -> ApiResult<()> {
        let room = &access.room;
        let mentioned: HashSet<UserId> = message.mentions.iter().copied().collect();
        // Everyone may be concerned by a DM or @room; otherwise only the
        // mentioned and those who want every message.
        let candidates: Vec<(UserId, Option<NotifyLevel>)> =
            if room.kind == RoomKind::Dm || message.mentions_room {
                self.store
                    .members(room.id)
                    .await?
                    .into_iter()
                    .map(|m| (m.user_id, m.notify_level))
                    .collect()
            } else {
                let mut found = Vec::new();
                for user in &mentioned {
                    if let Some(m) = self.store.member(room.id, *user).await?
                        && !m.banned
                    {
                        found.push((m.user_id, m.notify_level));
                    }
                }
                for user in notify_all {
                    if !mentioned.contains(user) {
                        found.push((*user, Some(NotifyLevel::All)));
                    }
                }
                found
            };
        let author = access.member.user_id;
        let mut by_kind: Vec<(NotificationKind, Vec<UserId>)> = Vec::new();
        let mut pushed = Vec::new();
        for (user, level) in candidates {
            if user == author {
                continue;
            }
            let level = level.unwrap_or_else(|| default_notify_level(room.kind));
            let is_mentioned = mentioned.contains(&user) || message.mentions_room;
            if let Some(kind) = notification_kind(room.kind, level, is_mentioned) {
                match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, users)) => users.push(user),
                    None => by_kind.push((kind, vec![user])),
                }
                if self.hub.session_count(user) == 0 {
                    pushed.push((user, kind));
                }
            }
        }
        for (kind, users) in by_kind {
            self.events.to_users(
                users,
                ServerEvent::Notification(Box::new(NotificationEvent {
                    kind,
                    room_id: room.id,
                    message: Some(message.clone()),
                })),
            );
        }
        // Do-not-disturb is decided now, as the message is sent: turning it
        // off a moment later must not release what arrived during it.
        let pushed = self.not_disturbed(pushed).await?;
        if !pushed.is_empty() {
            let this = self.clone();
            let room_name = room.name.clone();
            let message = message.clone();
            tokio::spawn(async move {
                if let Err(e) = this.push_message(&room_name, &message, pushed).await {
                    tracing::error!(error = ?e, "web push failed");
                }
            });
        }
        Ok(())
    }

    /// The recipients who are active and not in do-not-disturb.
    async fn not_disturbed(
        &self,
        recipients: Vec<(UserId, NotificationKind)>,
    ) -> ApiResult<Vec<(UserId, NotificationKind)>> {
        if recipients.is_empty() {
            return Ok(recipients);
        }
        let now = OffsetDateTime::now_utc();
        let ids: Vec<UserId> = recipients.iter().map(|(u, _)| *u).collect();
        let reachable: HashSet<UserId> = self
            .store
            .users_by_ids(&ids)
            .await?
            .into_iter()
            .filter(|u| u.dnd_until.is_none_or(|until| until <= now) && !u.deactivated)
            .map(|u| u.id)
            .collect();
        Ok(recipients
            .into_iter()
            .filter(|(user, _)| reachable.contains(user))
            .collect())
    }

    /// Pushes `message` to each recipient's browsers, forgetting subscriptions
    /// the push service says are gone.
    async fn push_message(
        &self,
        room_name: &str,
        message: &Message,
        recipients: Vec<(UserId, NotificationKind)>,
    ) -> anyhow::Result<()> {
        let now = OffsetDateTime::now_utc();
        for (user, kind) in recipients {
            let payload = push_payload(kind, room_name, message);
            let bytes = serde_json::to_vec(&payload)?;
            for subscription in self.store.push_subscriptions(user, now).await? {
                self.deliver(&subscription, &bytes, now).await;
            }
        }
        Ok(())
    }

    /// Sends one push; a subscription the push service no longer knows is
    /// deleted, any other failure is logged and the subscription kept.
    pub async fn deliver(
        &self,
        subscription: &PushSubscriptionRecord,
        payload: &[u8],
        now: OffsetDateTime,
    ) {
        match self.push.send(subscription, payload, now).await {
            Ok(Delivery::Sent) => {}
            Ok(Delivery::Gone) => {
                tracing::info!(user = %subscription.user_id, "push subscription expired; removed");
                if let Err(e) = self
                    .store
                    .delete_push_subscription(&subscription.endpoint, None)
                    .await
                {
                    tracing::error!(error = ?e, "removing an expired push subscription failed");
                }
            }
            Ok(Delivery::Refused(status)) => {
                tracing::warn!(status, user = %subscription.user_id, "push service refused a push");
            }
            Err(e) => tracing::warn!(error = ?e, user = %subscription.user_id, "push failed"),
        }
    }

    /// The caller's notification setting in a room they are a member of.
    pub async fn room_settings(
        &self,
        user: UserId,
        room_id: RoomId,
    ) -> ApiResult<RoomNotifications> {
        let access = self.access.authorize(user, room_id, Action::Read).await?;
        Ok(settings(&access))
    }

    /// Sets (or, with `None`, resets to the default) the caller's level in a
    /// room. Allowed in archived rooms too: it changes nothing others see.
    pub async fn set_room_level(
        &self,
        user: UserId,
        room_id: RoomId,
        level: Option<NotifyLevel>,
    ) -> ApiResult<RoomNotifications> {
        let mut access = self.access.authorize(user, room_id, Action::Read).await?;
        access.member = self
            .store
            .set_notify_level(room_id, user, level)
            .await
            .map_err(|e| match e {
                // Not a member (the store's word): to the caller, no such room.
                StoreError::NotFound(_) => ApiError::not_found("room"),
                other => other.into(),
            })?;
        Ok(settings(&access))
    }

    /// The key browsers need to subscribe (VAPID, RFC 8292).
    pub fn vapid_public_key(&self) -> &str {
        self.push.public_key()
    }

    /// Stores the caller's browser subscription (the same browser subscribing
    /// again replaces its keys), tied to the caller's login session: it ends
    /// when the session does (sign-out, revocation, expiry).
    pub async fn subscribe(&self, auth: AuthUser, req: PushSubscriptionRequest) -> ApiResult<()> {
        self.push
            .check_new_endpoint(&req.endpoint)
            .await
            .map_err(ApiError::validation)?;
        BrowserKeys::parse(&req.keys.p256dh, &req.keys.auth).map_err(ApiError::validation)?;
        self.check_subscription_cap(auth.user_id, &req.endpoint)
            .await?;
        self.store
            .upsert_push_subscription(&PushSubscriptionRecord {
                id: uuid::Uuid::now_v7(),
                user_id: auth.user_id,
                session_id: Some(auth.session_id),
                endpoint: req.endpoint,
                p256dh: req.keys.p256dh,
                auth: req.keys.auth,
                created_at: OffsetDateTime::now_utc(),
            })
            .await?;
        Ok(())
    }

    /// A user has at most `push_subscriptions_per_user` browsers subscribed
    /// (each one posted to on every push); renewing one of them is allowed.
    async fn check_subscription_cap(&self, user: UserId, endpoint: &str) -> ApiResult<()> {
        let existing = self
            .store
            .push_subscriptions(user, OffsetDateTime::now_utc())
            .await?;
        let max = self.push.max_subscriptions();
        if existing.len() >= max && !existing.iter().any(|s| s.endpoint == endpoint) {
            return Err(ApiError::validation(format!(
                "limit reached: at most {max} push subscriptions; remove one first"
            )));
        }
        Ok(())
    }

    /// Forgets the caller's subscription with this endpoint (404 when the caller
    /// has none such).
    pub async fn unsubscribe(&self, user: UserId, endpoint: &str) -> ApiResult<()> {
        if self
            .store
            .delete_push_subscription(endpoint, Some(user))
            .await?
        {
            Ok(())
        } else {
            Err(ApiError::not_found("push subscription"))
        }
    }
}

/// What the browser shows: who, where, the start of the text.
pub fn push_payload(kind: NotificationKind, room_name: &str, message: &Message) -> PushPayload {
    let who = message
        .sender
        .as_ref()
        .map_or("Someone", |s| s.display_name.as_str());
    let title = match kind {
        NotificationKind::Dm => who.to_string(),
        NotificationKind::Mention => format!("{who} mentioned you in {room_name}"),
        _ => format!("{who} in {room_name}"),
    };
    let mut body: String = message.body.chars().take(PUSH_BODY_CHARS).collect();
    if message.body.chars().count() > PUSH_BODY_CHARS {
        body.push('…');
    }
    if body.trim().is_empty() {
        body = "Sent an attachment".to_string();
    }
    PushPayload {
        kind: match kind {
            NotificationKind::Dm => "dm",
            NotificationKind::Mention => "mention",
            NotificationKind::AddedToRoom => "added_to_room",
            NotificationKind::Message => "message",
        }
        .to_string(),
        room_id: message.room_id,
        message_id: Some(message.id),
        title,
        body,
        url: format!("/#/room/{}/s/{}", message.room_id, message.seq),
    }
}

fn settings(access: &Access) -> RoomNotifications {
    RoomNotifications {
        room_id: access.room.id,
        level: access
            .member
            .notify_level
            .unwrap_or_else(|| default_notify_level(access.room.kind)),
        explicit: access.member.notify_level.is_some(),
    }
}

/// `PATCH /users/me` do-not-disturb fields: `dnd: true` (until turned off),
/// `dnd: false` or `dnd_until: null` (off), `dnd_until: TIME`. `None` when
/// neither was given; a time in the past turns it off.
pub fn parse_dnd(
    dnd: Option<bool>,
    dnd_until: Option<Option<OffsetDateTime>>,
    now: OffsetDateTime,
) -> ApiResult<Option<Option<OffsetDateTime>>> {
    match (dnd, dnd_until) {
        (Some(_), Some(_)) => Err(ApiError::validation("give dnd or dnd_until, not both")),
        (Some(true), None) => Ok(Some(Some(DND_FOREVER))),
        (Some(false), None) | (None, Some(None)) => Ok(Some(None)),
        (None, Some(Some(until))) if until <= now => Ok(Some(None)),
        (None, Some(Some(until))) => Ok(Some(Some(until))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_decide_who_hears_what() {
        use NotificationKind::{Dm, Mention, Message};
        use NotifyLevel::{All, Mentions, None as Nothing};
        let cases = [
            (RoomKind::Dm, All, false, Some(Dm)),
            (RoomKind::Dm, Mentions, false, Some(Dm)),
            (RoomKind::Dm, Nothing, true, None),
            (RoomKind::Channel, All, false, Some(Message)),
            (RoomKind::Channel, All, true, Some(Mention)),
            (RoomKind::Channel, Mentions, false, None),
            (RoomKind::Group, Mentions, true, Some(Mention)),
            (RoomKind::Group, Nothing, true, None),
        ];
        for (room, level, mentioned, expected) in cases {
            assert_eq!(
                notification_kind(room, level, mentioned),
                expected,
                "{room:?} {level:?} mentioned={mentioned}"
            );
        }
    }

    #[test]
    fn dnd_fields_parse() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let later = now + time::Duration::hours(1);
        let earlier = now - time::Duration::hours(1);
        assert_eq!(parse_dnd(None, None, now).ok(), Some(None));
        assert_eq!(
            parse_dnd(Some(true), None, now).ok(),
            Some(Some(Some(DND_FOREVER)))
        );
        assert_eq!(parse_dnd(Some(false), None, now).ok(), Some(Some(None)));
        assert_eq!(parse_dnd(None, Some(None), now).ok(), Some(Some(None)));
        assert_eq!(
            parse_dnd(None, Some(Some(later)), now).ok(),
            Some(Some(Some(later)))
        );
        assert_eq!(
            parse_dnd(None, Some(Some(earlier)), now).ok(),
            Some(Some(None))
        );
        assert!(parse_dnd(Some(true), Some(None), now).is_err());
    }
}
