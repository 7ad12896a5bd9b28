//! Deleting what nobody uses: uploads never attached to a message (or whose
//! messages were deleted) and no one's avatar, once a day old; the blobs no
//! upload references any more; staging files left by interrupted uploads.
//!
//! Blobs are shared by every upload of the same bytes, so a blob goes only
//! when no upload row names its hash. That check and the delete happen under
//! the blob's lock, which an upload also holds from writing the blob to
//! recording its row: within one process the two never interleave. Across the
//! nodes of a cluster they could, in a window of milliseconds, should the
//! same bytes be uploaded on one node just as another sweeps their last
//! orphaned copy; the sweep runs hourly, which keeps that unlikely.

use super::Media;
use super::blob::{BlobKey, BlobKind};
use hearth_store::{Store, UploadRecord};
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// Uploads unattached for this long are deleted.
pub const ORPHAN_AGE: time::Duration = time::Duration::hours(24);
/// Staging files older than this belong to uploads that died.
pub const STAGING_AGE: Duration = Duration::from_secs(6 * 3600);
/// Rows deleted per store call.
const BATCH: u32 = 200;

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub uploads: usize,
    /// Distinct contents whose blobs (original and renditions) were deleted.
    pub blobs: usize,
}

/// Deletes uploads created before `now - ORPHAN_AGE` that no live message
/// carries and that are no avatar, then every blob left without an upload.
/// Takes `now` so that tests can move time instead of waiting for it.
pub async fn sweep_orphans(
    store: &dyn Store,
    media: &Media,
    now: OffsetDateTime,
) -> anyhow::Result<Swept> {
    let cutoff = now - ORPHAN_AGE;
    let mut swept = Swept::default();
    loop {
        let batch = store.delete_orphan_uploads(cutoff, BATCH).await?;
        swept.uploads += batch.len();
        let mut hashes: BTreeSet<&str> = BTreeSet::new();
        for rec in &batch {
            if hashes.insert(&rec.sha256) && delete_blobs_if_unused(store, media, rec).await? {
                swept.blobs += 1;
            }
        }
        if batch.len() < BATCH as usize {
            break;
        }
    }
    if swept.uploads > 0 {
        tracing::info!(
            uploads = swept.uploads,
            blobs = swept.blobs,
            "orphan uploads deleted"
        );
    }
    Ok(swept)
}

/// Deletes the original and renditions of `rec`'s content unless another
/// upload still references it. True when they were deleted.
async fn delete_blobs_if_unused(
    store: &dyn Store,
    media: &Media,
    rec: &UploadRecord,
) -> anyhow::Result<bool> {
    let _guard = media.lock_for(&rec.sha256).lock().await;
    if store.sha256_in_use(&rec.sha256).await? {
        return Ok(false);
    }
    for kind in BlobKind::ALL {
        let blob = BlobKey::new(kind, &rec.sha256)
            .ok_or_else(|| anyhow::anyhow!("upload {} has a malformed sha256", rec.id))?;
        media.blobs().delete(&blob).await?;
    }
    Ok(true)
}

/// Deletes staging files last modified before `now - max_age`. Returns how
/// many were deleted.
pub async fn sweep_staging(
    media: &Media,
    now: SystemTime,
    max_age: Duration,
) -> std::io::Result<usize> {
    let mut entries = match tokio::fs::read_dir(media.staging_dir()).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut deleted = 0;
    while let Some(entry) = entries.next_entry().await? {
        let modified = entry.metadata().await?.modified()?;
        let stale = now.duration_since(modified).is_ok_and(|age| age > max_age);
        if stale {
            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => deleted += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::media::local::LocalBlobs;
    use std::sync::Arc;

    #[tokio::test]
    async fn only_stale_staging_files_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join("uploads/tmp");
        let media = Media::with_blobs(
            Arc::new(LocalBlobs::new(dir.path().join("uploads"))),
            staging.clone(),
            1024,
        );
        assert_eq!(
            sweep_staging(&media, SystemTime::now(), STAGING_AGE)
                .await
                .unwrap(),
            0
        );
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("upload-1.part"), b"half an upload").unwrap();
        let now = SystemTime::now();
        assert_eq!(
            sweep_staging(&media, now, STAGING_AGE).await.unwrap(),
            0,
            "fresh"
        );
        let later = now + STAGING_AGE + Duration::from_secs(60);
        assert_eq!(sweep_staging(&media, later, STAGING_AGE).await.unwrap(), 1);
        assert!(std::fs::read_dir(&staging).unwrap().next().is_none());
    }
}
