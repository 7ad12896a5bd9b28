//! `/api/v1/users`: my profile (and deleting my account), user search, one user.

use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::dto::{DeleteAccountRequest, UpdateProfileRequest, User, UserSummary};
use hearth_protocol::{ErrorBody, UserId};
use serde::Deserialize;

/// The caller's own profile.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_me(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<User>> {
    Ok(Json(state.services.accounts.me(auth.user_id).await?))
}

/// Edit the caller's profile; absent fields stay, `avatar: null` clears the avatar.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", request_body = UpdateProfileRequest,
    responses((status = 200, body = User), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<UpdateProfileRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state.services.accounts.update_me(auth.user_id, req).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Prefix of a username or display name.
    #[serde(default)]
    #[param(max_length = 64)]
    pub q: String,
}

/// Find users by username or display-name prefix.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(SearchQuery),
    responses((status = 200, body = [UserSummary])), security(("bearer" = [])))]
pub async fn search_users(
    State(state): State<AppState>,
    _auth: AuthUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<UserSummary>>> {
    Ok(Json(state.services.accounts.search_users(&q.q).await?))
}

/// One user's public profile.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_user(
    State(state): State<AppState>,
    _auth: AuthUser,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.services.accounts.get_user(id).await?))
}

/// Delete the caller's account. Messages stay, shown as from "deleted user";
/// the profile and e-mail address are erased, every session ends, and the
/// username stays reserved.
#[utoipa::path(delete, path = "/api/v1/users/me", tag = "users", request_body = DeleteAccountRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_me(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<DeleteAccountRequest>,
) -> ApiResult<StatusCode> {
    state
        .services
        .accounts
        .delete_me(auth.user_id, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
