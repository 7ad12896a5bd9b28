//! Upload access: an upload is visible to its uploader, and to the members
//! of every room where a non-deleted message carries it; to anyone else it
//! does not exist (404, so ids of other people's files reveal nothing).
//! Only the uploader may attach an upload or make it an avatar. What a user
//! keeps stored is bounded by their quota (`limits.upload_quota_bytes`).

use crate::error::{ApiError, ApiResult};
use crate::media::upload::Received;
use crate::media::{Media, attachment};
use hearth_protocol::ErrorCode;
use hearth_protocol::dto::Attachment;
use hearth_protocol::{RoomId, UploadId, UserId};
use hearth_store::{Store, UploadRecord};
use std::collections::HashMap;
use std::sync::Arc;

/// The access rules for uploads and avatars.
#[derive(Clone)]
pub struct UploadAccess {
    store: Arc<dyn Store>,
    media: Arc<Media>,
    /// Bytes a user may keep stored; 0: no quota.
    quota_bytes: u64,
}

impl UploadAccess {
    pub fn new(store: Arc<dyn Store>, media: Arc<Media>, quota_bytes: u64) -> Self {
        Self {
            store,
            media,
            quota_bytes,
        }
    }

    /// 413 `payload_too_large` when `incoming` more bytes would take
    /// `uploader` past their quota. Checked before an upload is read (with
    /// one byte) and again when its size is known.
    pub async fn check_quota(&self, uploader: UserId, incoming: u64) -> ApiResult<()> {
        if self.quota_bytes == 0 {
            return Ok(());
        }
        let used = self.store.uploaded_bytes(uploader).await?;
        if used.saturating_add(incoming) > self.quota_bytes {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "upload quota reached: {used} of {} bytes in use",
                    self.quota_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Records an upload whose bytes were received (see `media::upload`),
    /// within the uploader's quota.
    pub async fn record(&self, uploader: UserId, received: Received) -> ApiResult<UploadRecord> {
        self.check_quota(uploader, received.upload.size).await?;
        crate::media::upload::store(&*self.store, &self.media, uploader, received).await
    }

    /// Checks that `user` may attach these uploads (their own, each once);
    /// returns them in order, duplicates dropped.
    pub async fn check_attachable(
        &self,
        user: UserId,
        ids: &[UploadId],
    ) -> ApiResult<Vec<UploadId>> {
        let mut unique = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(*id);
            }
        }
        if unique.is_empty() {
            return Ok(unique);
        }
        let mine: std::collections::HashSet<UploadId> = self
            .store
            .uploads_by_ids(&unique)
            .await?
            .into_iter()
            .filter(|u| u.uploader_id == user)
            .map(|u| u.id)
            .collect();
        if let Some(bad) = unique.iter().find(|id| !mine.contains(id)) {
            return Err(ApiError::validation(format!(
                "attachments: {bad} is not one of your uploads"
            )));
        }
        Ok(unique)
    }

    /// Checks that `upload` is an image uploaded by `user`, and makes its avatar
    /// rendition now (so showing it never waits on a decode).
    pub async fn check_own_image(&self, user: UserId, upload: UploadId) -> ApiResult<UploadId> {
        let rec = match self.store.upload_by_id(upload).await? {
            Some(rec) if rec.uploader_id == user => rec,
            _ => return Err(ApiError::validation("avatar: not one of your uploads")),
        };
        if rec.preview_type.is_none() {
            return Err(ApiError::validation(
                "avatar: must be a JPEG, PNG, GIF or WebP image",
            ));
        }
        self.media.ensure_avatar(&rec).await?;
        Ok(upload)
    }

    /// The upload, if `user` may see it (see the module docs); 404 otherwise,
    /// so that ids of other people's files reveal nothing.
    pub async fn visible_upload(&self, user: UserId, id: UploadId) -> ApiResult<UploadRecord> {
        let rec = self
            .store
            .upload_by_id(id)
            .await?
            .ok_or_else(upload_not_found)?;
        if rec.uploader_id == user || self.store.upload_shared_with(id, user).await? {
            Ok(rec)
        } else {
            Err(upload_not_found())
        }
    }

    /// The upload behind a user's avatar URL, if `version` is their current
    /// avatar. It needs no caller: the versioned URL is unguessable and only
    /// the current avatar answers (see the avatars API).
    pub async fn user_avatar(
        &self,
        user: UserId,
        version: Option<UploadId>,
    ) -> ApiResult<UploadRecord> {
        let current = self.store.user_by_id(user).await?.and_then(|u| u.avatar);
        self.current_avatar(current, version).await
    }

    /// The upload behind a room's avatar URL, if `version` is its current avatar.
    pub async fn room_avatar(
        &self,
        room: RoomId,
        version: Option<UploadId>,
    ) -> ApiResult<UploadRecord> {
        let current = self.store.room_by_id(room).await?.and_then(|r| r.avatar);
        self.current_avatar(current, version).await
    }

    async fn current_avatar(
        &self,
        current: Option<UploadId>,
        version: Option<UploadId>,
    ) -> ApiResult<UploadRecord> {
        let not_found = || ApiError::not_found("avatar");
        let id = match (current, version) {
            (Some(current), Some(v)) if current == v => current,
            _ => return Err(not_found()),
        };
        let rec = self.store.upload_by_id(id).await?.ok_or_else(not_found)?;
        self.media.ensure_avatar(&rec).await?;
        Ok(rec)
    }
}

/// Attachment DTOs for many messages at once, by upload id (one query).
pub async fn attachment_map(
    store: &dyn Store,
    ids: impl IntoIterator<Item = UploadId>,
) -> ApiResult<HashMap<UploadId, Attachment>> {
    let ids: Vec<UploadId> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(store
        .uploads_by_ids(&ids)
        .await?
        .iter()
        .map(|rec| (rec.id, attachment(rec)))
        .collect())
}

/// Attachment DTOs for a message's upload ids, in order. An upload that is
/// gone (it should not be, while a message carries it) is left out.
pub async fn attachments(store: &dyn Store, ids: &[UploadId]) -> ApiResult<Vec<Attachment>> {
    let mut found = attachment_map(store, ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

fn upload_not_found() -> ApiError {
    ApiError::not_found("upload")
}
