//! `GET /api/v1/users/{id}/avatar` and `GET /api/v1/rooms/{id}/avatar`: the
//! avatar images the `avatar_url`s of users and rooms point at, as 256 px
//! squares.
//!
//! These two routes need no access token, on purpose: browsers load avatars
//! with `<img src>`, which cannot send an `Authorization` header. What
//! guards them instead is the URL itself: it must name the current avatar's
//! upload id (`?v=`, a random UUIDv7), which only those shown the user or
//! room ever learn — anyone may look a user up, and a room's URL appears
//! only in what its members (or, for public channels, anyone) can see. A
//! wrong or stale `v` is a 404. Avatars are low-sensitivity pictures chosen
//! to be shown; message attachments, by contrast, always need the token.

use crate::api::extract::{ApiPath, ApiQuery};
use crate::error::ApiResult;
use crate::media::blob::BlobKind;
use crate::media::serve::{self, CACHE_IMMUTABLE, Served};
use crate::media::{self};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use hearth_protocol::{ErrorBody, RoomId, UploadId, UserId};
use hearth_store::UploadRecord;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvatarQuery {
    /// The avatar's upload id, as in the `avatar_url` the API gave out.
    #[param(value_type = Option<String>, format = Uuid)]
    pub v: Option<UploadId>,
}

/// A user's avatar. No token needed: see the module docs.
#[utoipa::path(get, path = "/api/v1/users/{id}/avatar", tag = "users",
    params(("id" = String, Path, format = Uuid), AvatarQuery),
    responses((status = 200, description = "JPEG or PNG, 256 px square"),
        (status = 304, description = "not modified"), (status = 404, body = ErrorBody)))]
pub async fn get_user_avatar(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    ApiQuery(q): ApiQuery<AvatarQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let rec = state.services.uploads.user_avatar(id, q.v).await?;
    serve_avatar(&state, &headers, &rec).await
}

/// A room's avatar. No token needed: see the module docs.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/avatar", tag = "rooms",
    params(("id" = String, Path, format = Uuid), AvatarQuery),
    responses((status = 200, description = "JPEG or PNG, 256 px square"),
        (status = 304, description = "not modified"), (status = 404, body = ErrorBody)))]
pub async fn get_room_avatar(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoomId>,
    ApiQuery(q): ApiQuery<AvatarQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let rec = state.services.uploads.room_avatar(id, q.v).await?;
    serve_avatar(&state, &headers, &rec).await
}

async fn serve_avatar(
    state: &AppState,
    headers: &HeaderMap,
    rec: &UploadRecord,
) -> ApiResult<Response> {
    let served = Served {
        key: media::key(BlobKind::Avatar, rec)?,
        content_type: rec.preview_type.as_deref().unwrap_or("image/jpeg"),
        etag: format!("{}-avatar", rec.sha256),
        filename: "avatar",
        size: None,
        cache_control: CACHE_IMMUTABLE,
    };
    serve::respond(state.node.media.blobs(), headers, served).await
}
