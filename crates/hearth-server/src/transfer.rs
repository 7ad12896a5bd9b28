//! `hearth migrate-to-postgres`: moves a single-node install (SQLite) to
//! cluster mode (PostgreSQL). The rows are copied by
//! [`hearth_store::transfer`]; uploads' bytes stay where they are unless the
//! new configuration names an S3 bucket, in which case every blob (original
//! and renditions) is copied from `DATA_DIR/uploads` into it.

use crate::config::Config;
use crate::media::Media;
use crate::media::blob::{BlobKey, BlobKind, BlobStore};
use crate::media::local::LocalBlobs;
use futures_util::TryStreamExt;

/// Copies `from` (default: the configured SQLite database) into the empty
/// PostgreSQL database `to`, then the blobs to S3 when one is configured.
pub async fn run(config: &Config, from: Option<String>, to: &str) -> anyhow::Result<()> {
    let from = from.unwrap_or_else(|| config.database_url());
    anyhow::ensure!(
        from.starts_with("sqlite:"),
        "--from must be a sqlite:// URL (got {:?})",
        from.split(':').next().unwrap_or_default()
    );
    anyhow::ensure!(
        to.starts_with("postgres:") || to.starts_with("postgresql:"),
        "--to must be a postgres:// URL"
    );
    let report = hearth_store::transfer::sqlite_to_postgres(&from, to).await?;
    for (table, rows) in &report.tables {
        println!("{table:>20}: {rows} rows");
    }
    if config.s3.is_some() {
        let local = LocalBlobs::new(config.data_dir.join("uploads"));
        let media = Media::new(config)?;
        let copied = copy_blobs(&local, media.blobs(), &report.blobs).await?;
        println!("{copied} blobs copied to S3");
    } else {
        println!(
            "uploads stay in {}: every node must see that directory (or move them to S3)",
            config.data_dir.join("uploads").display()
        );
    }
    println!("done: point HEARTH_DATABASE_URL at the PostgreSQL database");
    Ok(())
}

/// Copies each blob (and rendition) of `hashes` that `to` lacks; returns
/// how many were copied. A blob missing locally is reported, not fatal.
async fn copy_blobs(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    hashes: &[String],
) -> anyhow::Result<usize> {
    let mut copied = 0;
    for sha256 in hashes {
        for kind in BlobKind::ALL {
            let Some(key) = BlobKey::new(kind, sha256) else {
                continue;
            };
            if !from.exists(&key).await? {
                // Renditions exist for images only; an original must be there.
                if kind == BlobKind::Original {
                    eprintln!("warning: blob {key} is missing from the local uploads");
                }
                continue;
            }
            if to.exists(&key).await? {
                continue;
            }
            let read = from.get(&key, None).await?;
            let chunks: Vec<bytes::Bytes> = read.stream.try_collect().await?;
            to.put_bytes(&key, chunks.concat().into()).await?;
            copied += 1;
        }
    }
    Ok(copied)
}
