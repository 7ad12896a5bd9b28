//! `/api/v1/sessions`: the caller's login sessions (devices) and ending them.

use crate::api::extract::ApiPath;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::dto::{RevokedCount, SessionInfo};
use hearth_protocol::{ErrorBody, SessionId};

/// The caller's live sessions, newest first; `current` marks this one.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions",
    responses((status = 200, body = [SessionInfo]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(state.services.sessions.list(auth).await?))
}

/// End one session: its tokens stop working and its live connections close.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_session(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<StatusCode> {
    state.services.sessions.revoke(auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every session but this one.
#[utoipa::path(post, path = "/api/v1/sessions/revoke-others", tag = "sessions",
    responses((status = 200, body = RevokedCount)), security(("bearer" = [])))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<RevokedCount>> {
    Ok(Json(state.services.sessions.revoke_others(auth).await?))
}
