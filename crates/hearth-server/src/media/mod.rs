//! Files and media. Until uploads land, messages carry no attachments and
//! avatars cannot be set; these checks say so clearly instead of failing later.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use hearth_protocol::dto::Attachment;
use hearth_protocol::{UploadId, UserId};

/// Attachment DTOs for a message's upload ids.
pub async fn attachments(_state: &AppState, ids: &[UploadId]) -> ApiResult<Vec<Attachment>> {
    if ids.is_empty() {
        Ok(Vec::new())
    } else {
        Err(ApiError::internal(anyhow::anyhow!(
            "message has attachments but uploads are not available"
        )))
    }
}

/// Checks that `user` may attach these uploads; returns them in order.
pub async fn check_attachable(
    _state: &AppState,
    _user: UserId,
    ids: &[UploadId],
) -> ApiResult<Vec<UploadId>> {
    if ids.is_empty() {
        Ok(Vec::new())
    } else {
        Err(ApiError::validation(
            "attachments: uploads are not supported on this server yet",
        ))
    }
}

/// Checks that `upload` is an image uploaded by `user` (for avatars).
pub async fn check_own_image(
    _state: &AppState,
    _user: UserId,
    _upload: UploadId,
) -> ApiResult<UploadId> {
    Err(ApiError::validation(
        "avatar: uploads are not supported on this server yet",
    ))
}
