//! Files and media: uploads, their renditions, and who may fetch them.
//!
//! - [`blob`]: the blob-storage trait; [`local`] (default) and [`s3`] back it.
//! - [`upload`]: receiving a multipart upload onto disk and recording it.
//! - [`sniff`]: content types from bytes, safe file names.
//! - [`images`]: thumbnails and avatars (blocking work, kept off the runtime).
//! - [`serve`]: answering downloads (ETag, Range, safe headers).
//! - [`cleanup`]: deleting uploads nothing uses, and their blobs.
//!
//! This module is also the service for media: the access rules live here.
//! An upload is visible to its uploader, and to the members of every room
//! where a non-deleted message carries it; to anyone else it does not exist.

pub mod blob;
pub mod cleanup;
pub mod images;
pub mod local;
pub mod s3;
pub mod serve;
pub mod sniff;
pub mod upload;

use crate::app::AppState;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use blob::{BlobError, BlobKey, BlobKind, BlobStore};
use futures_util::StreamExt;
use hearth_protocol::dto::Attachment;
use hearth_protocol::{RoomId, UploadId, UserId};
use hearth_store::{StoreError, UploadRecord};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, Semaphore};

/// Locks guarding blobs while they are written or deleted; a blob's lock is
/// picked by its hash. Striped rather than one per blob: bounded memory, and
/// two uploads rarely wait on each other.
const LOCK_STRIPES: usize = 64;

/// Image decodes at once: each may hold a few hundred MB for a moment.
const IMAGE_WORKERS: usize = 2;

/// Blob storage and the limits around it. One per server, in [`AppState`].
pub struct Media {
    blobs: Arc<dyn BlobStore>,
    /// Where uploads are streamed before their hash (their key) is known:
    /// `DATA_DIR/uploads/tmp`, on the same file system as the local blobs so
    /// that moving one into place is a rename.
    staging: PathBuf,
    max_upload_bytes: u64,
    /// Makes "write the blob, then record the upload" and "no upload uses
    /// the blob, so delete it" exclude each other (within this process: in
    /// a cluster, nodes do not share these locks; see `cleanup`).
    locks: Vec<Mutex<()>>,
    image_workers: Semaphore,
}

impl Media {
    /// Local disk under `DATA_DIR/uploads`, or S3 when a bucket is configured.
    pub fn new(config: &Config) -> anyhow::Result<Media> {
        let root = config.data_dir.join("uploads");
        let blobs: Arc<dyn BlobStore> = match &config.s3 {
            Some(s3) => Arc::new(s3::S3Blobs::new(s3)?),
            None => Arc::new(local::LocalBlobs::new(root.clone())),
        };
        Ok(Self::with_blobs(
            blobs,
            root.join("tmp"),
            config.max_upload_bytes,
        ))
    }

    pub fn with_blobs(blobs: Arc<dyn BlobStore>, staging: PathBuf, max_upload_bytes: u64) -> Media {
        Media {
            blobs,
            staging,
            max_upload_bytes,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            image_workers: Semaphore::new(IMAGE_WORKERS),
        }
    }

    pub fn blobs(&self) -> &dyn BlobStore {
        &*self.blobs
    }

    pub fn staging_dir(&self) -> &std::path::Path {
        &self.staging
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }

    fn lock_for(&self, sha256: &str) -> &Mutex<()> {
        let stripe = u8::from_str_radix(sha256.get(..2).unwrap_or("00"), 16).unwrap_or(0);
        &self.locks[usize::from(stripe) % LOCK_STRIPES]
    }

    /// Runs blocking image work on the blocking pool, a few at a time.
    async fn image_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, images::ImageFailure> + Send + 'static,
    ) -> ApiResult<T> {
        let _permit = self
            .image_workers
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        match tokio::task::spawn_blocking(work).await {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(e)) if e.is_bad_input() => Err(ApiError::validation(format!("file: {e}"))),
            Ok(Err(e)) => Err(ApiError::internal(e)),
            Err(join) => Err(ApiError::internal(join)),
        }
    }
}

/// The key of `kind` for an upload's bytes.
pub fn key(kind: BlobKind, rec: &UploadRecord) -> ApiResult<BlobKey> {
    BlobKey::new(kind, &rec.sha256).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "upload {} has a malformed sha256 {:?}",
            rec.id,
            rec.sha256
        ))
    })
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        ApiError::internal(e)
    }
}

/// An upload as clients see it (the answer to an upload, and an entry of a
/// message's `attachments`).
pub fn attachment(rec: &UploadRecord) -> Attachment {
    Attachment {
        id: rec.id,
        filename: rec.filename.clone(),
        content_type: rec.content_type.clone(),
        size: rec.size,
        url: format!("/api/v1/uploads/{}", rec.id),
        thumbnail_url: rec
            .preview_type
            .as_ref()
            .map(|_| format!("/api/v1/uploads/{}/thumbnail", rec.id)),
        width: rec.width,
        height: rec.height,
        duration_ms: rec.duration_ms,
        waveform: rec.waveform.clone(),
    }
}

/// Attachment DTOs for many messages at once, by upload id (one query).
pub async fn attachment_map(
    state: &AppState,
    ids: impl IntoIterator<Item = UploadId>,
) -> ApiResult<HashMap<UploadId, Attachment>> {
    let ids: Vec<UploadId> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(state
        .store
        .uploads_by_ids(&ids)
        .await?
        .iter()
        .map(|rec| (rec.id, attachment(rec)))
        .collect())
}

/// Attachment DTOs for a message's upload ids, in order. An upload that is
/// gone (it should not be, while a message carries it) is left out.
pub async fn attachments(state: &AppState, ids: &[UploadId]) -> ApiResult<Vec<Attachment>> {
    let mut found = attachment_map(state, ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Checks that `user` may attach these uploads (their own, each once);
/// returns them in order, duplicates dropped.
pub async fn check_attachable(
    state: &AppState,
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
    let mine: std::collections::HashSet<UploadId> = state
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
pub async fn check_own_image(
    state: &AppState,
    user: UserId,
    upload: UploadId,
) -> ApiResult<UploadId> {
    let rec = match state.store.upload_by_id(upload).await {
        Ok(rec) if rec.uploader_id == user => rec,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::validation("avatar: not one of your uploads"));
        }
        Err(e) => return Err(e.into()),
    };
    if rec.preview_type.is_none() {
        return Err(ApiError::validation(
            "avatar: must be a JPEG, PNG, GIF or WebP image",
        ));
    }
    ensure_avatar(state, &rec).await?;
    Ok(upload)
}

fn upload_not_found() -> ApiError {
    ApiError::not_found("upload")
}

/// The upload, if `user` may see it (see the module docs); 404 otherwise,
/// so that ids of other people's files reveal nothing.
pub async fn visible_upload(
    state: &AppState,
    user: UserId,
    id: UploadId,
) -> ApiResult<UploadRecord> {
    let rec = match state.store.upload_by_id(id).await {
        Ok(rec) => rec,
        Err(StoreError::NotFound) => return Err(upload_not_found()),
        Err(e) => return Err(e.into()),
    };
    if rec.uploader_id == user || state.store.upload_shared_with(id, user).await? {
        Ok(rec)
    } else {
        Err(upload_not_found())
    }
}

/// The upload behind a user's avatar URL, if `version` is their current
/// avatar. See [`crate::api::avatars`] for why this needs no caller.
pub async fn user_avatar(
    state: &AppState,
    user: UserId,
    version: Option<UploadId>,
) -> ApiResult<UploadRecord> {
    let current = match state.store.user_by_id(user).await {
        Ok(u) => u.avatar,
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    current_avatar(state, current, version).await
}

/// The upload behind a room's avatar URL, if `version` is its current avatar.
pub async fn room_avatar(
    state: &AppState,
    room: RoomId,
    version: Option<UploadId>,
) -> ApiResult<UploadRecord> {
    let current = match state.store.room_by_id(room).await {
        Ok(r) => r.avatar,
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    current_avatar(state, current, version).await
}

async fn current_avatar(
    state: &AppState,
    current: Option<UploadId>,
    version: Option<UploadId>,
) -> ApiResult<UploadRecord> {
    let not_found = || ApiError::not_found("avatar");
    let id = match (current, version) {
        (Some(current), Some(v)) if current == v => current,
        _ => return Err(not_found()),
    };
    let rec = match state.store.upload_by_id(id).await {
        Ok(rec) => rec,
        Err(StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    ensure_avatar(state, &rec).await?;
    Ok(rec)
}

/// Makes the avatar rendition of an image upload unless it exists.
async fn ensure_avatar(state: &AppState, rec: &UploadRecord) -> ApiResult<()> {
    let media = &state.media;
    let target = key(BlobKind::Avatar, rec)?;
    if media.blobs.exists(&target).await? {
        return Ok(());
    }
    let read = media
        .blobs
        .get(&key(BlobKind::Original, rec)?, None)
        .await?;
    let mut bytes = Vec::with_capacity(usize::try_from(read.size).unwrap_or(0));
    let mut stream = read.stream;
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(ApiError::internal)?);
    }
    let encoded = media
        .image_work(move || images::avatar_bytes(&bytes))
        .await?;
    media.blobs.put_bytes(&target, encoded.bytes.into()).await?;
    Ok(())
}
