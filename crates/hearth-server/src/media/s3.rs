//! The S3-compatible blob backend (AWS S3, MinIO, Garage, Ceph RGW, …),
//! chosen when `HEARTH_S3_BUCKET` is set. Objects are named by their key.
//!
//! Uploads stream from the staged file in parts (multipart above 10 MiB), so
//! a large file is never held in memory.

use super::blob::{BlobError, BlobKey, BlobRead, BlobStore};
use crate::config::S3Settings;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
}

impl S3Blobs {
    /// Builds the client; nothing is sent until the first request. The
    /// standard `AWS_*` variables are read first; our settings win.
    pub fn new(settings: &S3Settings) -> anyhow::Result<Self> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        Ok(Self {
            store: Arc::new(builder.build()?),
        })
    }

    fn path(key: &BlobKey) -> ObjectPath {
        ObjectPath::from(key.as_str())
    }
}

fn not_found_or(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        other => BlobError::ObjectStore(other),
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError> {
        if self.exists(key).await? {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(path).await?;
        let mut writer = BufWriter::new(Arc::clone(&self.store), Self::path(key));
        if let Err(e) = tokio::io::copy(&mut file, &mut writer).await {
            // Aborts a multipart upload already begun, so no parts linger.
            let _ = writer.abort().await;
            return Err(e.into());
        }
        writer.shutdown().await?;
        Ok(())
    }

    async fn put_bytes(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&Self::path(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<BlobRead, BlobError> {
        // An empty range is an error to S3; an empty read needs no bytes.
        let empty = range.as_ref().is_some_and(|r| r.is_empty());
        let options = GetOptions {
            range: range.filter(|r| !r.is_empty()).map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&Self::path(key), options)
            .await
            .map_err(not_found_or)?;
        let size = result.meta.size;
        let stream = if empty {
            futures_util::stream::empty().boxed()
        } else {
            result
                .into_stream()
                .map(|chunk| chunk.map_err(std::io::Error::other))
                .boxed()
        };
        Ok(BlobRead { size, stream })
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        match self.store.head(&Self::path(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&Self::path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn backend(&self) -> &'static str {
        "s3"
    }
}
