//! `/api/v1/uploads`: upload a file, download it, fetch its thumbnail.
//!
//! Downloads need the bearer token like any API call; a browser client
//! fetches them with it and shows them through `blob:` URLs (which the
//! client's CSP allows for images and media).

use crate::api::extract::ApiPath;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::media::blob::BlobKind;
use crate::media::serve::{self, CACHE_REVALIDATE, Served};
use crate::media::{self, upload};
use crate::state::AppState;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hearth_protocol::dto::Attachment;
use hearth_protocol::{ErrorBody, ErrorCode, UploadId};

/// The multipart form of `POST /uploads` (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is sniffed from its bytes; its name is sanitised.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Voice messages: length in milliseconds (1 to 3600000).
    duration_ms: Option<u32>,
    /// Voice messages: a JSON array of 1 to 256 integers 0–255.
    #[schema(value_type = Option<String>, example = "[0, 40, 255, 90]")]
    waveform: Option<String>,
}

/// Upload a file (multipart/form-data, field `file`). Images get their size
/// and a thumbnail; audio may carry a voice message's duration and waveform.
/// An upload no message carries is deleted after 24 hours.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_upload(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let multipart = multipart.map_err(|e| ApiError::new(ErrorCode::InvalidBody, e.body_text()))?;
    // A user at their quota is refused before the body is read.
    state.services.uploads.check_quota(auth.user_id, 1).await?;
    let received = upload::receive(&state.node.media, &headers, multipart).await?;
    let rec = state
        .services
        .uploads
        .record(auth.user_id, received)
        .await?;
    Ok((StatusCode::CREATED, Json(media::attachment(&rec))))
}

/// Download an upload: its uploader and the members of rooms where a message
/// carries it may; to anyone else it is 404. Supports `If-None-Match` (the
/// ETag is the SHA-256) and single byte `Range`s.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "uploads", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the file"), (status = 206, description = "a byte range"),
        (status = 304, description = "not modified"), (status = 404, body = ErrorBody),
        (status = 416, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_upload(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<UploadId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let rec = state
        .services
        .uploads
        .visible_upload(auth.user_id, id)
        .await?;
    let served = Served {
        key: media::key(BlobKind::Original, &rec)?,
        content_type: &rec.content_type,
        etag: rec.sha256.clone(),
        filename: &rec.filename,
        size: u64::try_from(rec.size).ok(),
        cache_control: CACHE_REVALIDATE,
    };
    serve::respond(state.node.media.blobs(), &headers, served).await
}

/// An image upload's thumbnail (fits in 480 × 480, no metadata), for those
/// who may download the upload.
#[utoipa::path(get, path = "/api/v1/uploads/{id}/thumbnail", tag = "uploads", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "JPEG or PNG"), (status = 304, description = "not modified"),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_thumbnail(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<UploadId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let rec = state
        .services
        .uploads
        .visible_upload(auth.user_id, id)
        .await?;
    let Some(content_type) = rec.preview_type.as_deref() else {
        return Err(ApiError::not_found("thumbnail"));
    };
    let served = Served {
        key: media::key(BlobKind::Thumbnail, &rec)?,
        content_type,
        etag: format!("{}-thumbnail", rec.sha256),
        filename: &rec.filename,
        size: None,
        cache_control: CACHE_REVALIDATE,
    };
    serve::respond(state.node.media.blobs(), &headers, served).await
}
