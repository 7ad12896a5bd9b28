//! `/api/v1/admin`: what server admins (`users.is_admin`) may do to accounts.

use crate::api::extract::ApiPath;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::{ErrorBody, UserId};

/// Deactivate an account: it cannot sign in, its sessions end at once, and
/// its messages show as from "deleted user".
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/deactivate", tag = "admin",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state
        .services
        .accounts
        .set_deactivated(auth.user_id, id, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reactivate a deactivated account (one its owner deleted has no password
/// left and stays unusable).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/reactivate", tag = "admin",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reactivate_user(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state
        .services
        .accounts
        .set_deactivated(auth.user_id, id, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
