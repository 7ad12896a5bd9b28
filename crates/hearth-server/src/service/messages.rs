//! Messages: send (idempotent by nonce), history, edit, delete, reactions, pins.

use crate::app::AppState;
use crate::domain::{parse_emoji, parse_mentions, parse_message_body, parse_nonce};
use crate::error::{ApiError, ApiResult};
use crate::service::permissions::Action;
use crate::service::rooms::{Access, SendAccess, authorize, authorize_send, require};
use crate::service::views;
use hearth_protocol::dto::{Message, MessagePage};
use hearth_protocol::gateway::{MessageEvent, ReactionEvent, ServerEvent};
use hearth_protocol::{ErrorCode, MessageId, RoomId, UploadId, UserId};
use hearth_store::{MessageRecord, NewMessage, StoreError};
use time::OffsetDateTime;

/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;

/// What a sender asks for (from REST or the gateway).
pub struct SendMessage {
    pub body: String,
    pub nonce: Option<String>,
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

fn message_not_found() -> ApiError {
    ApiError::not_found("message")
}

fn map_message_err(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => message_not_found(),
        other => other.into(),
    }
}

pub async fn send(
    state: &AppState,
    sender: UserId,
    room_id: RoomId,
    req: SendMessage,
) -> ApiResult<Sent> {
    let nonce = req.nonce.as_deref().map(parse_nonce).transpose()?;
    match send_new(state, sender, room_id, req, nonce.clone()).await {
        Err(refused) => match nonce {
            Some(n) => resent(state, sender, room_id, &n, refused).await,
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
    state: &AppState,
    sender: UserId,
    room_id: RoomId,
    nonce: &str,
    refused: ApiError,
) -> ApiResult<Sent> {
    let Some(existing) = state.store.message_by_nonce(room_id, sender, nonce).await? else {
        return Err(refused);
    };
    authorize(state, sender, room_id, Action::Read).await?;
    let message = views::message(state, &existing, Some(sender)).await?;
    Ok(Sent {
        message,
        created: false,
    })
}

/// [`send`] for a message the store has not seen yet (as far as the checks
/// before the insert know).
async fn send_new(
    state: &AppState,
    sender: UserId,
    room_id: RoomId,
    req: SendMessage,
    nonce: Option<String>,
) -> ApiResult<Sent> {
    state.limits.check_send(sender)?;
    if req.attachments.len() > MAX_ATTACHMENTS {
        return Err(ApiError::validation(format!(
            "attachments: at most {MAX_ATTACHMENTS}"
        )));
    }
    let body = parse_message_body(
        &req.body,
        state.config.max_message_chars,
        !req.attachments.is_empty(),
    )?;
    let SendAccess {
        access,
        sender: sender_account,
        notify_all,
    } = authorize_send(state, sender, room_id).await?;
    if access.member.muted {
        return Err(ApiError::new(
            ErrorCode::Muted,
            "you are muted in this room",
        ));
    }
    if req.anonymous {
        require(&access, Action::PostAnonymously)?;
    }
    if let Some(reply) = req.reply_to {
        match state.store.message_by_id(room_id, reply).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation("reply_to: not a message of this room"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let attachments = crate::media::check_attachable(state, sender, &req.attachments).await?;
    let (mentions, mentions_room) = resolve_mentions(state, room_id, &body).await?;
    let inserted = state
        .store
        .insert_message(NewMessage {
            id: MessageId::new(),
            room_id,
            sender_id: sender,
            body,
            nonce,
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
    let message = views::message_by(state, &rec, Some(sender), sender_account).await?;
    if created {
        publish_created(state, &access, &message, &notify_all).await?;
    }
    Ok(Sent { message, created })
}

/// Mentioned usernames that are members of the room.
async fn resolve_mentions(
    state: &AppState,
    room_id: RoomId,
    body: &str,
) -> ApiResult<(Vec<UserId>, bool)> {
    let parsed = parse_mentions(body);
    let mut ids = Vec::new();
    for name in parsed.usernames.iter().take(20) {
        match state.store.user_by_login(name).await {
            Ok(u) => {
                if state
                    .store
                    .member(room_id, u.id)
                    .await?
                    .is_some_and(|m| !m.banned)
                    && !ids.contains(&u.id)
                {
                    ids.push(u.id);
                }
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok((ids, parsed.room))
}

async fn publish_created(
    state: &AppState,
    access: &Access,
    message: &Message,
    notify_all: &[UserId],
) -> ApiResult<()> {
    let mut shared = message.clone();
    if shared.anonymous {
        // The sender got the nonce in their answer; others must not see it.
        shared.nonce = None;
    }
    state.events.to_room(
        message.room_id,
        ServerEvent::MessageCreated(Box::new(MessageEvent {
            message: shared.clone(),
        })),
    );
    // Notifications follow each member's level (see service::notifications).
    crate::service::notifications::message_created(state, access, &shared, notify_all).await
}

#[derive(Debug, Default, Clone, Copy)]
pub struct PageQuery {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

pub async fn list(
    state: &AppState,
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
    let access = authorize(state, user, room_id, Action::Read).await?;
    // One more than asked tells whether there is more.
    let mut records = match q.after {
        Some(after) => {
            state
                .store
                .messages_changed_after(room_id, after, limit + 1)
                .await?
        }
        None => {
            state
                .store
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
    let messages = views::messages(state, &records, Some(user)).await?;
    Ok(MessagePage {
        messages,
        has_more,
        last_seq: access.room.last_seq,
    })
}

pub async fn get(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    id: MessageId,
) -> ApiResult<Message> {
    authorize(state, user, room_id, Action::Read).await?;
    let rec = state
        .store
        .message_by_id(room_id, id)
        .await
        .map_err(map_message_err)?;
    views::message(state, &rec, Some(user)).await
}

async fn load_live(state: &AppState, room_id: RoomId, id: MessageId) -> ApiResult<MessageRecord> {
    let rec = state
        .store
        .message_by_id(room_id, id)
        .await
        .map_err(map_message_err)?;
    if rec.deleted {
        return Err(message_not_found());
    }
    Ok(rec)
}

/// Edits the caller's own message.
pub async fn edit(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    id: MessageId,
    body: &str,
) -> ApiResult<Message> {
    let access = authorize(state, user, room_id, Action::Post).await?;
    let rec = load_live(state, room_id, id).await?;
    if rec.sender_id != user {
        return Err(ApiError::forbidden("you can only edit your own messages"));
    }
    if access.member.muted {
        return Err(ApiError::new(
            ErrorCode::Muted,
            "you are muted in this room",
        ));
    }
    let body = parse_message_body(
        body,
        state.config.max_message_chars,
        !rec.attachments.is_empty(),
    )?;
    let (mentions, mentions_room) = resolve_mentions(state, room_id, &body).await?;
    let updated = state
        .store
        .edit_message(
            room_id,
            id,
            &body,
            &mentions,
            mentions_room,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(map_message_err)?;
    let message = views::message(state, &updated, None).await?;
    state.events.to_room(
        room_id,
        ServerEvent::MessageUpdated(Box::new(MessageEvent {
            message: message.clone(),
        })),
    );
    views::message(state, &updated, Some(user)).await
}

/// Deletes a message: its own sender may, and moderators may delete any.
pub async fn delete(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    id: MessageId,
) -> ApiResult<()> {
    let access = authorize(state, user, room_id, Action::Read).await?;
    let rec = load_live(state, room_id, id).await?;
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
        require(&access, Action::DeleteOthersMessage)?;
    }
    let deleted = state
        .store
        .delete_message(room_id, id)
        .await
        .map_err(map_message_err)?;
    let message = views::message(state, &deleted, None).await?;
    state.events.to_room(
        room_id,
        ServerEvent::MessageDeleted(Box::new(MessageEvent { message })),
    );
    Ok(())
}

pub async fn react(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    id: MessageId,
    emoji: &str,
    add: bool,
) -> ApiResult<Message> {
    let emoji = parse_emoji(emoji)?;
    authorize(state, user, room_id, Action::React).await?;
    load_live(state, room_id, id).await?;
    let changed = if add {
        state
            .store
            .add_reaction(room_id, id, user, &emoji)
            .await
            .map_err(|e| match e {
                StoreError::Limit(_) => ApiError::validation(format!(
                    "a message can have at most {} different reactions",
                    hearth_store::MAX_DISTINCT_REACTIONS
                )),
                other => map_message_err(other),
            })?
    } else {
        state
            .store
            .remove_reaction(room_id, id, user, &emoji)
            .await
            .map_err(map_message_err)?
    };
    let Some(rec) = changed else {
        // Nothing changed (already reacted / not reacted): answer the state.
        return get(state, user, room_id, id).await;
    };
    let shared = views::message(state, &rec, None).await?;
    state.events.to_room(
        room_id,
        ServerEvent::ReactionUpdated(ReactionEvent {
            room_id,
            message_id: id,
            seq: rec.updated_seq,
            user_id: user,
            emoji,
            added: add,
            reactions: shared.reactions,
        }),
    );
    views::message(state, &rec, Some(user)).await
}

pub async fn pin(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    id: MessageId,
    pinned: bool,
) -> ApiResult<Message> {
    authorize(state, user, room_id, Action::Pin).await?;
    let current = load_live(state, room_id, id).await?;
    if current.pinned == pinned {
        return views::message(state, &current, Some(user)).await;
    }
    let rec = state
        .store
        .set_pinned(room_id, id, pinned)
        .await
        .map_err(map_message_err)?;
    let message = views::message(state, &rec, None).await?;
    state.events.to_room(
        room_id,
        ServerEvent::MessageUpdated(Box::new(MessageEvent { message })),
    );
    views::message(state, &rec, Some(user)).await
}
