//! Files and media: uploads, their renditions, and who may fetch them.
//!
//! - [`blob`]: the blob-storage trait; [`local`] (default) and [`s3`] back it.
//! - [`upload`]: receiving a multipart upload onto disk and recording it.
//! - [`sniff`]: content types from bytes, safe file names.
//! - [`images`]: thumbnails and avatars (blocking work, kept off the runtime).
//! - [`serve`]: answering downloads (ETag, Range, safe headers).
//! - [`cleanup`]: deleting uploads nothing uses, and their blobs.
//!
//! Who may see or attach an upload is the uploads service's concern
//! (`service::uploads`); this module stores and renders the bytes.

pub mod blob;
pub mod cleanup;
pub mod images;
pub mod local;
pub mod s3;
pub mod serve;
pub mod sniff;
pub mod upload;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use blob::{BlobError, BlobKey, BlobKind, BlobStore};
use futures_util::StreamExt;
use hearth_protocol::dto::Attachment;
use hearth_store::UploadRecord;
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
        let blobs: Arc<dyn BlobStore> = match config.s3.as_ref() {
            Some(s3) => Arc::new(s3::S3Blobs::new(s3)?),
            None => Arc::new(local::LocalBlobs::new(root.clone())),
        };
        Ok(Self::with_blobs(
            blobs,
            root.join("tmp"),
            config.limits.max_upload_bytes,
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

/// Makes the avatar rendition of an image upload unless it exists.
impl Media {
    pub async fn ensure_avatar(&self, rec: &UploadRecord) -> ApiResult<()> {
        let media = self;
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
}
