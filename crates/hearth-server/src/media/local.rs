//! The local-disk blob backend (the default): one file per blob under
//! `DATA_DIR/uploads`, at the path its key names.
//!
//! A blob appears by an atomic rename on one file system — of the staged
//! upload (staging is `uploads/tmp`, beside the blobs), or of a temporary
//! file written in the blob's own directory — so a reader sees the whole
//! blob or none of it, and a crash leaves at worst a stray temporary file.

use super::blob::{BlobError, BlobKey, BlobRead, BlobStore};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

/// Read chunk size when streaming a blob out.
const READ_CHUNK: usize = 64 * 1024;

pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// A fresh temporary name next to `dest` (same directory, so the final
    /// rename stays on one file system and is atomic).
    fn temp_beside(dest: &Path) -> PathBuf {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dest.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()))
    }

    async fn create_parent(dest: &Path) -> std::io::Result<()> {
        match dest.parent() {
            Some(dir) => tokio::fs::create_dir_all(dir).await,
            None => Ok(()),
        }
    }
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError> {
        let dest = self.path(key);
        if tokio::fs::try_exists(&dest).await? {
            return Ok(());
        }
        Self::create_parent(&dest).await?;
        // Flushed to disk before it becomes visible: the upload is
        // acknowledged after this, and its row must not outlive its bytes.
        tokio::fs::File::open(path).await?.sync_all().await?;
        // Staged files live under the same root, so this rename is atomic.
        // Should staging ever sit on another file system, the bytes are
        // copied to a temporary file beside the blob and renamed from there.
        match tokio::fs::rename(path, &dest).await {
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                let temp = Self::temp_beside(&dest);
                let copied = async {
                    tokio::fs::copy(path, &temp).await?;
                    tokio::fs::File::open(&temp).await?.sync_all().await?;
                    tokio::fs::rename(&temp, &dest).await
                }
                .await;
                if let Err(e) = copied {
                    let _ = tokio::fs::remove_file(&temp).await;
                    return Err(e.into());
                }
                Ok(())
            }
            other => Ok(other?),
        }
    }

    async fn put_bytes(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        let dest = self.path(key);
        Self::create_parent(&dest).await?;
        let temp = Self::temp_beside(&dest);
        let written = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&temp, &dest).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e.into());
        }
        Ok(())
    }

    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<BlobRead, BlobError> {
        let mut file = match tokio::fs::File::open(self.path(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        let range = range.unwrap_or(0..size);
        file.seek(SeekFrom::Start(range.start)).await?;
        let limited = file.take(range.end.saturating_sub(range.start));
        Ok(BlobRead {
            size,
            stream: ReaderStream::with_capacity(limited, READ_CHUNK).boxed(),
        })
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        Ok(tokio::fs::try_exists(self.path(key)).await?)
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn backend(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::media::blob::BlobKind;

    async fn read_all(read: BlobRead) -> Vec<u8> {
        let chunks: Vec<_> = read.stream.collect().await;
        chunks
            .into_iter()
            .flat_map(|c| c.unwrap().to_vec())
            .collect()
    }

    #[tokio::test]
    async fn files_are_moved_into_sharded_paths_and_read_back_by_range() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::new(dir.path().join("uploads"));
        let key = BlobKey::new(BlobKind::Original, &"0f".repeat(32)).unwrap();
        let staged = dir.path().join("staged");
        std::fs::write(&staged, b"hello, world").unwrap();

        assert!(!blobs.exists(&key).await.unwrap());
        blobs.put_file(&key, &staged).await.unwrap();
        assert!(blobs.exists(&key).await.unwrap());
        assert!(!staged.exists(), "the staged file was moved, not copied");
        let on_disk = dir
            .path()
            .join("uploads/originals/0f/0f")
            .join("0f".repeat(32));
        assert_eq!(std::fs::read(on_disk).unwrap(), b"hello, world");

        let whole = blobs.get(&key, None).await.unwrap();
        assert_eq!(whole.size, 12);
        assert_eq!(read_all(whole).await, b"hello, world");
        let part = blobs.get(&key, Some(7..12)).await.unwrap();
        assert_eq!(read_all(part).await, b"world");

        // Writing the same key again keeps the blob and leaves no temp files.
        std::fs::write(&staged, b"hello, world").unwrap();
        blobs.put_file(&key, &staged).await.unwrap();
        blobs
            .put_bytes(
                &BlobKey::new(BlobKind::Avatar, &"0f".repeat(32)).unwrap(),
                Bytes::from_static(b"a"),
            )
            .await
            .unwrap();
        let shard = std::fs::read_dir(dir.path().join("uploads/originals/0f/0f")).unwrap();
        assert_eq!(shard.count(), 1);

        blobs.delete(&key).await.unwrap();
        blobs.delete(&key).await.unwrap();
        assert!(matches!(
            blobs.get(&key, None).await,
            Err(BlobError::NotFound)
        ));
    }
}
