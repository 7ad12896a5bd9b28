//! Blob storage: where the bytes of uploads and their renditions live, behind
//! one trait with two backends — the local disk ([`super::local`], default)
//! and an S3-compatible object store ([`super::s3`]).
//!
//! Blobs are content-addressed: a key is made from the SHA-256 of the
//! original upload, so the bytes under a key never change and writing the
//! same key twice is harmless.

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use std::ops::Range;
use std::path::Path;

/// A blob's bytes, streamed.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found")]
    NotFound,
    #[error("blob storage I/O failed")]
    Io(#[from] std::io::Error),
    #[error("object store request failed")]
    ObjectStore(#[from] object_store::Error),
}

/// What is stored under a key: the original, or a rendition made from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    Original,
    /// An image scaled to fit [`super::images::THUMBNAIL_EDGE`].
    Thumbnail,
    /// An image cropped square and scaled to [`super::images::AVATAR_EDGE`].
    Avatar,
}

impl BlobKind {
    pub const ALL: [BlobKind; 3] = [Self::Original, Self::Thumbnail, Self::Avatar];

    fn dir(self) -> &'static str {
        match self {
            Self::Original => "originals",
            Self::Thumbnail => "thumbnails",
            Self::Avatar => "avatars",
        }
    }
}

/// Where a blob lives: `{kind}/{hash[0..2]}/{hash[2..4]}/{hash}`, sharded by
/// hash prefix so that no directory grows huge. Only made from a validated
/// SHA-256, so a key is always a safe relative path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobKey(String);

impl BlobKey {
    /// `None` unless `sha256` is 64 lower-case hex digits.
    pub fn new(kind: BlobKind, sha256: &str) -> Option<BlobKey> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| {
            BlobKey(format!(
                "{}/{}/{}/{sha256}",
                kind.dir(),
                &sha256[..2],
                &sha256[2..4]
            ))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A blob being read: its total size and the requested bytes.
pub struct BlobRead {
    pub size: u64,
    pub stream: ByteStream,
}

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores the file at `path` under `key`. The file may be moved away
    /// (the caller deletes it if it is still there). When the key already
    /// holds a blob, it is kept: the bytes are the same.
    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError>;
    /// Stores small bytes (a rendition) under `key`, atomically.
    async fn put_bytes(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError>;
    /// Reads `range` of the blob (all of it when `None`). The range must lie
    /// within the blob. `NotFound` when there is no blob.
    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<BlobRead, BlobError>;
    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError>;
    /// Deletes the blob; deleting a missing blob succeeds.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;
    /// "local" or "s3", for logs.
    fn backend(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sharded_by_hash_prefix() {
        let sha = "ab".repeat(32);
        let key = BlobKey::new(BlobKind::Thumbnail, &sha).map(|k| k.to_string());
        assert_eq!(key, Some(format!("thumbnails/ab/ab/{sha}")));
    }

    #[test]
    fn keys_need_a_lower_case_sha256() {
        for bad in [
            "",
            "../etc/passwd",
            &"AB".repeat(32),
            &"ab".repeat(31),
            &"zz".repeat(32),
        ] {
            assert_eq!(BlobKey::new(BlobKind::Original, bad), None, "{bad:?}");
        }
    }
}
