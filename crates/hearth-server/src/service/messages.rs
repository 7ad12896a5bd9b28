//! Messages: send (idempotent by nonce), history, edit, delete, reactions, pins.

use crate::domain::{Emoji, MessageBody, Nonce, parse_mentions};
use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::ratelimit::RateLimits;
use crate::service::access::{Access, RoomAccess, SendAccess, require};
use crate::service::notifications::NotificationService;
use crate::service::permissions::Action;
use crate::service::uploads::UploadAccess;
use crate::service::views::Views;
use hearth_protocol::dto::{Message, MessagePage};
use hearth_protocol::gateway::{MessageEvent, ReactionEvent, ServerEvent};
use hearth_protocol::{ErrorCode, MessageId, RoomId, UploadId, UserId};
use hearth_store::{MessageRecord, NewMessage, Store, StoreError};
use std::sync::Arc;
use time::OffsetDateTime;

/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;

/// Most pinned messages one listing returns (rooms rarely pin more; the
/// newest are listed).
pub const MAX_PINS_LISTED: u32 = 100;

/// What a sender asks for (from REST or the gateway).
pub struct SendMessage {
    pub body: MessageBody,
    pub nonce: Option<Nonce>,
    pub reply_to: Option<MessageId>,
    pub attachments: Vec<UploadId>,
    pub anonymous: bool,
}

/// The outcome of a send: the message, and whether this call created it
/// (false when the nonce had been seen: the original is returned).
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// A blank body is allowed only on a message with attachments.
fn body_required() -> ApiError {
    ApiError::validation("body: must not be empty")
}

fn message_not_found() -> ApiError {
    ApiError::not_found("message")
}

#[derive(Debug, Default, Clone, Copy)]
pub struct PageQuery {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// Sends, reads and changes messages.
#[derive(Clone)]
pub struct MessageService {
    store: Arc<dyn Store>,
    events: Events,
    access: RoomAccess,
    views: Views,
    uploads: UploadAccess,
    notifications: NotificationService,
    limits: Arc<RateLimits>,
}

impl MessageService {
    pub fn new(
        store: Arc<dyn Store>,
        events: Events,
        access: RoomAccess,
        views: Views,
        uploads: UploadAccess,
        notifications: NotificationService,
        limits: Arc<RateLimits>,
    ) -> Self {
        Self {
            store,
            events,
            access,
            views,
            uploads,
            notifications,
            limits,
        }
    }

    pub async fn send(&self, sender: UserId, room_id: RoomId, req: SendMessage) -> ApiResult<Sent> {
        let nonce = req.nonce.clone();
        match self.send_new(sender, room_id, req, nonce.clone()).await {
            Err(refused) => match nonce {
                Some(n) => self.resent(sender, room_id, &n, refused).await,
                None => Err(refused),
            },
            sent => sent,
        }
    }

    /// A resend of a message that was stored (its ack got lost) must succeed
    /// even if the sender is now rate limited or muted: the store answers a
    /// repeated nonce with the original, but a check before the insert may have
    /// said no. Only then is the nonce looked up; `refused` stands otherwise.
    async fn resent(
        &self,
        sender: UserId,
        room_id: RoomId,
        nonce: &Nonce,
        refused: ApiError,
    ) -> ApiResult<Sent> {
        let Some(existing) = self
            .store
            .message_by_nonce(room_id, sender, nonce.as_str())
            .await?
        else {
            return Err(refused);
        };
        self.access.authorize(sender, room_id, Action::Read).await?;
        let message = self.views.message(&existing, Some(sender)).await?;
        Ok(Sent {
            message,
            created: false,
        })
    }

    /// [`send`] for a message the store has not seen yet (as far as the checks
    /// before the insert know).
    async fn send_new(
        &self,
        sender: UserId,
        room_id: RoomId,
        req: SendMessage,
        nonce: Option<Nonce>,
    ) -> ApiResult<Sent> {
        self.limits.check_send(sender)?;
        if req.attachments.len() > MAX_ATTACHMENTS {
            return Err(ApiError::validation(format!(
                "attachments: at most {MAX_ATTACHMENTS}"
            )));
        }
        if req.body.is_blank() && req.attachments.is_empty() {
            return Err(body_required());
        }
        let body = req.body;
        let SendAccess {
            access,
            sender: sender_account,
            notify_all,
        } = self.access.authorize_send(sender, room_id).await?;
        if access.member.muted {
            return Err(ApiError::new(
                ErrorCode::Muted,
                "you are muted in this room",
            ));
        }
        if req.anonymous {
            require(&access, Action::PostAnonymously)?;
        }
        if let Some(reply) = req.reply_to
            && self.store.message_by_id(room_id, reply).await?.is_none()
        {
            return Err(ApiError::validation("reply_to: not a message of this room"));
        }
        let attachments = self
            .uploads
            .check_attachable(sender, &req.attachments)
            .await?;
        let (mentions, mentions_room) = self.resolve_mentions(room_id, body.as_str()).await?;
        let inserted = self
            .store
            .insert_message(NewMessage {
                id: MessageId::new(),
                room_id,
                sender_id: sender,
                body: body.into_inner(),
                nonce: nonce.map(Nonce::into_inner),
                reply_to: req.reply_to,
                mentions,
                mentions_room,
                anonymous: req.anonymous,
                attachments,
                created_at: OffsetDateTime::now_utc(),
            })
            .await?;
        let created = inserted.is_created();
        let rec = inserted.into_inner();
        let message = self
            .views
            .message_by(&rec, Some(sender), sender_account)
            .await?;
        if created {
            self.publish_created(&access, &message, &notify_all).await?;
        }
        Ok(Sent { message, created })
    }

    /// Mentioned usernames that are members of the room.
    async fn resolve_mentions(
        &self,
        room_id: RoomId,
        body: &str,
    ) -> ApiResult<(Vec<UserId>, bool)> {
        let parsed = parse_mentions(body);
        let mut ids = Vec::new();
        for name in parsed.usernames.iter().take(20) {
            let Some(u) = self.store.user_by_login(name).await? else {
                continue;
            };
            if self
                .store
                .member(room_id, u.id)
                .await?
                .is_some_and(|m| !m.banned)
                && !ids.contains(&u.id)
            {
                ids.push(u.id);
            }
        }
        Ok((ids, parsed.room))
    }

    async fn publish_created(
        &self,
        access: &Access,
        message: &Message,
        notify_all: &[UserId],
    ) -> ApiResult<()> {
        let mut shared = message.clone();
        if shared.anonymous {
            // The sender got the nonce in their answer; others must not see it.
            shared.nonce = None;
        }
        self.events.to_room(
            message.room_id,
            ServerEvent::MessageCreated(Box::new(MessageEvent {
                message: shared.clone(),
            })),
        );
        // Notifications follow each member's level (see service::notifications).
        self.notifications
            .message_created(access, &shared, notify_all)
            .await
    }

    pub async fn list(
        &self,
        user: UserId,
        room_id: RoomId,
        q: PageQuery,
    ) -> ApiResult<MessagePage> {
        let limit = q.limit.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "limit: 1 to 100",
            ));
        }
        if q.before.is_some() && q.after.is_some() {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "give before or after, not both",
            ));
        }
        if q.before.is_some_and(|b| b < 0) || q.after.is_some_and(|a| a < 0) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "before and after must not be negative",
            ));
        }
        let access = self.access.authorize(user, room_id, Action::Read).await?;
        // One more than asked tells whether there is more.
        let mut records = match q.after {
            Some(after) => {
                self.store
                    .messages_changed_after(room_id, after, limit + 1)
                    .await?
            }
            None => {
                self.store
                    .messages_before(room_id, q.before, limit + 1)
                    .await?
            }
        };
        let has_more = records.len() > limit as usize;
        if has_more {
            if q.after.is_some() {
                // Drop the row with the highest updated_seq (the "one more").
                if let Some(pos) = records
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, m)| m.updated_seq)
                    .map(|(i, _)| i)
                {
                    records.remove(pos);
                }
            } else {
                records.remove(0);
            }
        }
        let messages = self.views.messages(&records, Some(user)).await?;
        Ok(MessagePage {
            messages,
            has_more,
            last_seq: access.room.last_seq,
        })
    }

    /// The room's pinned messages, newest first (at most [`MAX_PINS_LISTED`]).
    pub async fn pinned(&self, user: UserId, room_id: RoomId) -> ApiResult<Vec<Message>> {
        self.access.authorize(user, room_id, Action::Read).await?;
        let records = self.store.pinned_messages(room_id, MAX_PINS_LISTED).await?;
        self.views.messages(&records, Some(user)).await
    }

    pub async fn get(&self, user: UserId, room_id: RoomId, id: MessageId) -> ApiResult<Message> {
        self.access.authorize(user, room_id, Action::Read).await?;
        let rec = self
            .store
            .message_by_id(room_id, id)
            .await?
            .ok_or_else(message_not_found)?;
        self.views.message(&rec, Some(user)).await
    }

    async fn load_live(&self, room_id: RoomId, id: MessageId) -> ApiResult<MessageRecord> {
        let rec = self
            .store
            .message_by_id(room_id, id)
            .await?
            .ok_or_else(message_not_found)?;
        if rec.deleted {
            return Err(message_not_found());
        }
        Ok(rec)
    }

    /// Edits the caller's own message.
    pub async fn edit(
        &self,
        user: UserId,
        room_id: RoomId,
        id: MessageId,
        body: MessageBody,
    ) -> ApiResult<Message> {
        let access = self.access.authorize(user, room_id, Action::Post).await?;
        let rec = self.load_live(room_id, id).await?;
        if rec.sender_id != user {
            return Err(ApiError::forbidden("you can only edit your own messages"));
        }
        if access.member.muted {
            return Err(ApiError::new(
                ErrorCode::Muted,
                "you are muted in this room",
            ));
        }
        if body.is_blank() && rec.attachments.is_empty() {
            return Err(body_required());
        }
        let (mentions, mentions_room) = self.resolve_mentions(room_id, body.as_str()).await?;
        let updated = self
            .store
            .edit_message(
                room_id,
                id,
                body.as_str(),
                &mentions,
                mentions_room,
                OffsetDateTime::now_utc(),
            )
            .await?;
        let message = self.views.message(&updated, None).await?;
        self.events.to_room(
            room_id,
            ServerEvent::MessageUpdated(Box::new(MessageEvent {
                message: message.clone(),
            })),
        );
        self.views.message(&updated, Some(user)).await
    }

    /// Deletes a message: its own sender may, and moderators may delete any.
    pub async fn delete(&self, user: UserId, room_id: RoomId, id: MessageId) -> ApiResult<()> {
        let access = self.access.authorize(user, room_id, Action::Read).await?;
        let rec = self.load_live(room_id, id).await?;
        if rec.sender_id == user {
            require(&access, Action::Post).or_else(|e| {
                // Archived rooms are read-only even for one's own messages.
                if e.code == ErrorCode::RoomArchived {
                    Err(e)
                } else {
                    Ok(())
                }
            })?;
        } else {
            self.access
                .authorize(user, room_id, Action::DeleteOthersMessage)
                .await?;
        }
        let deleted = self.store.delete_message(room_id, id).await?;
        let message = self.views.message(&deleted, None).await?;
        self.events.to_room(
            room_id,
            ServerEvent::MessageDeleted(Box::new(MessageEvent { message })),
        );
        Ok(())
    }

    pub async fn react(
        &self,
        user: UserId,
        room_id: RoomId,
        id: MessageId,
        emoji: Emoji,
        add: bool,
    ) -> ApiResult<Message> {
        self.access.authorize(user, room_id, Action::React).await?;
        self.load_live(room_id, id).await?;
        let changed = if add {
            self.store
                .add_reaction(room_id, id, user, emoji.as_str())
                .await
                .map_err(|e| match e {
                    StoreError::Limit(_) => ApiError::validation(format!(
                        "a message can have at most {} different reactions",
                        hearth_store::MAX_DISTINCT_REACTIONS
                    )),
                    other => other.into(),
                })?
        } else {
            self.store
                .remove_reaction(room_id, id, user, emoji.as_str())
                .await?
        };
        let Some(rec) = changed else {
            // Nothing changed (already reacted / not reacted): answer the self.
            return self.get(user, room_id, id).await;
        };
        let shared = self.views.message(&rec, None).await?;
        self.events.to_room(
            room_id,
            ServerEvent::ReactionUpdated(ReactionEvent {
                room_id,
                message_id: id,
                seq: rec.updated_seq,
                user_id: user,
                emoji: emoji.into_inner(),
                added: add,
                reactions: shared.reactions,
            }),
        );
        self.views.message(&rec, Some(user)).await
    }

    pub async fn pin(
        &self,
        user: UserId,
        room_id: RoomId,
        id: MessageId,
        pinned: bool,
    ) -> ApiResult<Message> {
        self.access.authorize(user, room_id, Action::Pin).await?;
        let current = self.load_live(room_id, id).await?;
        if current.pinned == pinned {
            return self.views.message(&current, Some(user)).await;
        }
        let rec = self.store.set_pinned(room_id, id, pinned).await?;
        let message = self.views.message(&rec, None).await?;
        self.events.to_room(
            room_id,
            ServerEvent::MessageUpdated(Box::new(MessageEvent { message })),
        );
        self.views.message(&rec, Some(user)).await
    }
}
