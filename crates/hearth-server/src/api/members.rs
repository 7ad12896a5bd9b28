//! `/api/v1/rooms/{id}/members`: list, add, change role or mute, remove or ban.

use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::dto::{AddMembersRequest, Member, RemoveMemberQuery, UpdateMemberRequest};
use hearth_protocol::{ErrorBody, RoomId, UserId};

/// The room's members with roles and receipts.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/members", tag = "members", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = [Member]), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_members(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(
        state.services.members.members(auth.user_id, id).await?,
    ))
}

/// Add users to a group or channel; answers the members actually added.
#[utoipa::path(post, path = "/api/v1/rooms/{id}/members", tag = "members", params(("id" = String, Path, format = Uuid)),
    request_body = AddMembersRequest,
    responses((status = 200, body = [Member]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_members(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<RoomId>,
    ApiJson(req): ApiJson<AddMembersRequest>,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(
        state
            .services
            .members
            .add_members(auth.user_id, id, req.user_ids)
            .await?,
    ))
}

/// Change a member's role or mute them.
#[utoipa::path(patch, path = "/api/v1/rooms/{id}/members/{user_id}", tag = "members",
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)), request_body = UpdateMemberRequest,
    responses((status = 200, body = Member), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_member(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, user_id)): ApiPath<(RoomId, UserId)>,
    ApiJson(req): ApiJson<UpdateMemberRequest>,
) -> ApiResult<Json<Member>> {
    Ok(Json(
        state
            .services
            .members
            .update_member(auth.user_id, id, user_id, req)
            .await?,
    ))
}

/// Remove a member (`?ban=true` also bans). Removing yourself leaves.
#[utoipa::path(delete, path = "/api/v1/rooms/{id}/members/{user_id}", tag = "members",
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid), ("ban" = Option<bool>, Query)),
    responses((status = 204), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath((id, user_id)): ApiPath<(RoomId, UserId)>,
    ApiQuery(q): ApiQuery<RemoveMemberQuery>,
) -> ApiResult<StatusCode> {
    state
        .services
        .members
        .remove_member(auth.user_id, id, user_id, q.ban)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
