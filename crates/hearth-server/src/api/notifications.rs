//! Notification settings: a room's level for the caller
//! (`/api/v1/rooms/{id}/notifications`) and Web Push subscriptions
//! (`/api/v1/push/…`). Do-not-disturb is part of `PATCH /users/me`.

use crate::api::extract::{ApiJson, ApiPath};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::notifications::{
    DeletePushSubscriptionRequest, PushSubscriptionRequest, RoomNotifications,
    UpdateRoomNotificationsRequest, VapidPublicKey,
};
use hearth_protocol::{ErrorBody, RoomId};

/// The caller's notification level in a room.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/notifications", tag = "notifications",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RoomNotifications), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_room_notifications(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<Json<RoomNotifications>> {
    Ok(Json(
        state
            .services
            .notifications
            .room_settings(auth.user_id, id)
            .await?,
    ))
}

/// Set the caller's notification level in a room: `all` (every message),
/// `mentions` (mentions, @room, and every message of a DM) or `none`;
/// `null` returns to the default (DMs `all`, otherwise `mentions`). The level
/// governs gateway `notification` events, Web Push and e-mail digests.
#[utoipa::path(patch, path = "/api/v1/rooms/{id}/notifications", tag = "notifications",
    params(("id" = String, Path, format = Uuid)), request_body = UpdateRoomNotificationsRequest,
    responses((status = 200, body = RoomNotifications), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_room_notifications(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
    ApiJson(req): ApiJson<UpdateRoomNotificationsRequest>,
) -> ApiResult<Json<RoomNotifications>> {
    Ok(Json(
        state
            .services
            .notifications
            .set_room_level(auth.user_id, id, req.level)
            .await?,
    ))
}

/// The server's VAPID public key, for `pushManager.subscribe`.
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", tag = "notifications",
    responses((status = 200, body = VapidPublicKey)), security(("bearer" = [])))]
pub async fn get_vapid_public_key(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> Json<VapidPublicKey> {
    Json(VapidPublicKey {
        public_key: state.services.notifications.vapid_public_key().to_string(),
    })
}

/// Register this browser for Web Push (the body is `PushSubscription.toJSON()`).
/// Pushes go out for the caller's notifications while they have no session
/// open, unless do-not-disturb is on, until this login session ends.
#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "notifications",
    request_body = PushSubscriptionRequest,
    responses((status = 201), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_push_subscription(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<PushSubscriptionRequest>,
) -> ApiResult<StatusCode> {
    state.services.notifications.subscribe(auth, req).await?;
    Ok(StatusCode::CREATED)
}

/// Unregister a browser of the caller's.
#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "notifications",
    request_body = DeletePushSubscriptionRequest,
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_push_subscription(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<DeletePushSubscriptionRequest>,
) -> ApiResult<StatusCode> {
    state
        .services
        .notifications
        .unsubscribe(auth.user_id, &req.endpoint)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
