//! `/api/v1/rooms/{id}/messages`: send, history, edit, delete, reactions, pins.

use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::{Emoji, MessageBody, Nonce};
use crate::error::ApiResult;
use crate::service::messages::{PageQuery, SendMessage};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::dto::{
    EditMessageRequest, Message, MessagePage, PinnedMessages, SendMessageRequest,
};
use hearth_protocol::{ErrorBody, MessageId, RoomId};
use serde::Deserialize;

/// Send a message. The same `nonce` again answers 200 with the original.
#[utoipa::path(post, path = "/api/v1/rooms/{id}/messages", tag = "messages", params(("id" = String, Path, format = Uuid)),
    request_body = SendMessageRequest,
    responses((status = 201, body = Message), (status = 200, body = Message), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_message(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let send = SendMessage {
        nonce: req.nonce.as_deref().map(Nonce::parse).transpose()?,
        body: MessageBody::parse(&req.body, state.config.limits.max_message_chars)?,
        reply_to: req.reply_to,
        attachments: req.attachments,
        anonymous: req.anonymous,
    };
    let sent = state.services.messages.send(auth.user_id, id, send).await?;
    let status = if sent.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(sent.message)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Messages with seq below this (older page).
    pub before: Option<i64>,
    /// Messages changed after this seq: new, edited, deleted or reacted to.
    pub after: Option<i64>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of history in seq order. See docs/protocol.md for catching up with `after`.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/messages", tag = "messages",
    params(("id" = String, Path, format = Uuid), HistoryQuery),
    responses((status = 200, body = MessagePage), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_messages(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<MessagePage>> {
    let page = PageQuery {
        before: q.before,
        after: q.after,
        limit: q.limit,
    };
    Ok(Json(
        state.services.messages.list(auth.user_id, id, page).await?,
    ))
}

/// One message.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/messages/{message_id}", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_message(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id)): ApiPath<(RoomId, MessageId)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .services
            .messages
            .get(auth.user_id, id, message_id)
            .await?,
    ))
}

/// Edit your own message.
#[utoipa::path(patch, path = "/api/v1/rooms/{id}/messages/{message_id}", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid)), request_body = EditMessageRequest,
    responses((status = 200, body = Message), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn edit_message(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id)): ApiPath<(RoomId, MessageId)>,
    ApiJson(req): ApiJson<EditMessageRequest>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .services
            .messages
            .edit(
                auth.user_id,
                id,
                message_id,
                MessageBody::parse(&req.body, state.config.limits.max_message_chars)?,
            )
            .await?,
    ))
}

/// Delete a message (your own; moderators: any). It stays as a tombstone.
#[utoipa::path(delete, path = "/api/v1/rooms/{id}/messages/{message_id}", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_message(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id)): ApiPath<(RoomId, MessageId)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .messages
        .delete(auth.user_id, id, message_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// React with an emoji (or `:short_name:`), URL-encoded in the path.
#[utoipa::path(put, path = "/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid), ("emoji" = String, Path, pattern = r"^(:[a-z0-9_+-]{1,32}:|[^\x00-\x9F\s]{1,8})$")),
    responses((status = 200, body = Message), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_reaction(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id, emoji)): ApiPath<(RoomId, MessageId, String)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .services
            .messages
            .react(auth.user_id, id, message_id, Emoji::parse(&emoji)?, true)
            .await?,
    ))
}

/// Remove your reaction.
#[utoipa::path(delete, path = "/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid), ("emoji" = String, Path, pattern = r"^(:[a-z0-9_+-]{1,32}:|[^\x00-\x9F\s]{1,8})$")),
    responses((status = 200, body = Message)), security(("bearer" = [])))]
pub async fn remove_reaction(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id, emoji)): ApiPath<(RoomId, MessageId, String)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .services
            .messages
            .react(auth.user_id, id, message_id, Emoji::parse(&emoji)?, false)
            .await?,
    ))
}

/// Pin a message (moderators and up).
#[utoipa::path(put, path = "/api/v1/rooms/{id}/messages/{message_id}/pin", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn pin_message(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id)): ApiPath<(RoomId, MessageId)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .services
            .messages
            .pin(auth.user_id, id, message_id, true)
            .await?,
    ))
}

/// The room's pinned messages, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/rooms/{id}/pins", tag = "messages", params(("id" = String, Path)),
    responses((status = 200, body = PinnedMessages), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_pins(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<Json<PinnedMessages>> {
    let messages = state.services.messages.pinned(auth.user_id, id).await?;
    Ok(Json(PinnedMessages { messages }))
}

/// Unpin a message.
#[utoipa::path(delete, path = "/api/v1/rooms/{id}/messages/{message_id}/pin", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Message)), security(("bearer" = [])))]
pub async fn unpin_message(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, message_id)): ApiPath<(RoomId, MessageId)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .services
            .messages
            .pin(auth.user_id, id, message_id, false)
            .await?,
    ))
}
