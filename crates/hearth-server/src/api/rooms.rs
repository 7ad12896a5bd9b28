//! `/api/v1/rooms` and `/api/v1/channels`: rooms, discovery, join and leave,
//! read markers.

use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::dto::{CreateRoomRequest, ReadMarker, ReadRequest, Room, UpdateRoomRequest};
use hearth_protocol::{ErrorBody, RoomId};
use serde::Deserialize;

/// Create a room. A second DM for the same pair answers 200 with the first.
#[utoipa::path(post, path = "/api/v1/rooms", tag = "rooms", request_body = CreateRoomRequest,
    responses((status = 201, body = Room), (status = 200, body = Room), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_room(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<CreateRoomRequest>,
) -> ApiResult<(StatusCode, Json<Room>)> {
    let (room, created) = state.services.rooms.create(auth.user_id, req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(room)))
}

/// The caller's rooms with unread and mention counts and the last message.
#[utoipa::path(get, path = "/api/v1/rooms", tag = "rooms",
    responses((status = 200, body = [Room])), security(("bearer" = [])))]
pub async fn list_rooms(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<Room>>> {
    Ok(Json(state.services.rooms.list_mine(auth.user_id).await?))
}

/// One room. Private rooms the caller is not in answer 404.
#[utoipa::path(get, path = "/api/v1/rooms/{id}", tag = "rooms", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Room), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_room(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<Json<Room>> {
    Ok(Json(state.services.rooms.get(auth.user_id, id).await?))
}

/// Edit name, topic, description, avatar or anonymous posting (admins and owners).
#[utoipa::path(patch, path = "/api/v1/rooms/{id}", tag = "rooms", params(("id" = String, Path, format = Uuid)),
    request_body = UpdateRoomRequest,
    responses((status = 200, body = Room), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_room(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
    ApiJson(req): ApiJson<UpdateRoomRequest>,
) -> ApiResult<Json<Room>> {
    Ok(Json(
        state.services.rooms.update(auth.user_id, id, req).await?,
    ))
}

/// Archive the room (owners): it stays readable and becomes read-only.
#[utoipa::path(delete, path = "/api/v1/rooms/{id}", tag = "rooms", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Room), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn archive_room(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<Json<Room>> {
    Ok(Json(state.services.rooms.archive(auth.user_id, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Part of the channel name; empty lists all.
    #[serde(default)]
    #[param(max_length = 80)]
    pub q: String,
}

/// Public channels anyone can discover and join.
#[utoipa::path(get, path = "/api/v1/channels", tag = "rooms", params(ChannelQuery),
    responses((status = 200, body = [Room])), security(("bearer" = [])))]
pub async fn list_channels(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ChannelQuery>,
) -> ApiResult<Json<Vec<Room>>> {
    Ok(Json(
        state
            .services
            .rooms
            .discover_channels(auth.user_id, &q.q)
            .await?,
    ))
}

/// Join a public channel.
#[utoipa::path(post, path = "/api/v1/rooms/{id}/join", tag = "rooms", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Room), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn join_room(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<Json<Room>> {
    Ok(Json(state.services.members.join(auth.user_id, id).await?))
}

/// Leave a group or channel.
#[utoipa::path(post, path = "/api/v1/rooms/{id}/leave", tag = "rooms", params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn leave_room(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<StatusCode> {
    state.services.members.leave(auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move the caller's read marker forward (never back).
#[utoipa::path(post, path = "/api/v1/rooms/{id}/read", tag = "rooms", params(("id" = String, Path, format = Uuid)),
    request_body = ReadRequest,
    responses((status = 200, body = ReadMarker)), security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
    ApiJson(req): ApiJson<ReadRequest>,
) -> ApiResult<Json<ReadMarker>> {
    Ok(Json(
        state
            .services
            .read_markers
            .mark_read(auth.user_id, id, req.seq)
            .await?,
    ))
}
