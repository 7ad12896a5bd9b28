//! [`UploadStore`](crate::UploadStore) written once: upload rows, who may
//! see them, and the sweep of uploads nothing uses.
//!
//! Which messages carry an upload is kept in `message_attachments` by the
//! message code (see `messages.rs`); here it is only read.

pub(crate) const UPLOAD_CONFLICTS: &[(&str, &str)] = &[("uploads", "upload")];

/// Implements `UploadStore` for `$Store` (see the [module docs](super) for
/// what the invoking module provides).
macro_rules! upload_store {
    ($Store:ident) => {
        mod upload_store {
            use super::*;
            use $crate::error::StoreResult;
            use $crate::records::UploadRecord;
            use $crate::sql::conflict_or;
            use $crate::sql::rows::{self, upload_columns};
            use $crate::sql::uploads::UPLOAD_CONFLICTS;
            use $crate::sql::values::{Ids, Time};
            use hearth_protocol::{UploadId, UserId};
            use time::OffsetDateTime;

            #[async_trait::async_trait]
            impl $crate::traits::UploadStore for $Store {
                async fn insert_upload(&self, upload: &UploadRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO uploads (id, uploader_id, filename, content_type, size, \
                         sha256, width, height, duration_ms, waveform, preview_type, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(upload.id.0)
                    .bind(upload.uploader_id.0)
                    .bind(&upload.filename)
                    .bind(&upload.content_type)
                    .bind(upload.size)
                    .bind(&upload.sha256)
                    .bind(upload.width.map(i64::from))
                    .bind(upload.height.map(i64::from))
                    .bind(upload.duration_ms.map(i64::from))
                    .bind(upload.waveform.as_deref())
                    .bind(&upload.preview_type)
                    .bind(Time(upload.created_at))
                    .execute(self.writer())
                    .await
                    .map_err(|e| conflict_or(e, UPLOAD_CONFLICTS))?;
                    Ok(())
                }

                async fn upload_by_id(&self, id: UploadId) -> StoreResult<Option<UploadRecord>> {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        upload_columns!(),
                        " FROM uploads WHERE id = $1"
                    ))
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await?;
                    row.as_ref().map(rows::upload).transpose()
                }

                async fn uploads_by_ids(&self, ids: &[UploadId]) -> StoreResult<Vec<UploadRecord>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        upload_columns!(),
                        " FROM uploads WHERE id IN ",
                        id_set!("$1")
                    ))
                    .bind(Ids::of(ids, |id| id.0))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::upload).collect()
                }

                async fn upload_by_sha256(
                    &self,
                    sha256: &str,
                ) -> StoreResult<Option<UploadRecord>> {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        upload_columns!(),
                        " FROM uploads WHERE sha256 = $1 LIMIT 1"
                    ))
                    .bind(sha256)
                    .fetch_optional(self.reader())
                    .await?;
                    row.as_ref().map(rows::upload).transpose()
                }

                async fn uploaded_bytes(&self, user: UserId) -> StoreResult<u64> {
                    // PostgreSQL's sum of bigints is numeric: cast it back.
                    let total: i64 = sqlx::query_scalar(
                        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM uploads \
                         WHERE uploader_id = $1",
                    )
                    .bind(user.0)
                    .fetch_one(self.reader())
                    .await?;
                    Ok(u64::try_from(total).unwrap_or(0))
                }

                async fn sha256_in_use(&self, sha256: &str) -> StoreResult<bool> {
                    // On the writer: the answer decides whether a blob is
                    // deleted, so it must see the sweep's own deletions and
                    // every committed insert.
                    Ok(sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = $1)",
                    )
                    .bind(sha256)
                    .fetch_one(self.writer())
                    .await?)
                }

                async fn upload_shared_with(
                    &self,
                    upload: UploadId,
                    user: UserId,
                ) -> StoreResult<bool> {
                    // Index walk: message_attachments by upload → the message
                    // by id → the membership by (room, user).
                    Ok(sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM message_attachments ma \
                         JOIN messages m ON m.id = ma.message_id \
                         JOIN members mem ON mem.room_id = m.room_id AND mem.user_id = $2 \
                         WHERE ma.upload_id = $1 AND NOT m.deleted AND NOT mem.banned)",
                    )
                    .bind(upload.0)
                    .bind(user.0)
                    .fetch_one(self.reader())
                    .await?)
                }

                async fn delete_orphan_uploads(
                    &self,
                    cutoff: OffsetDateTime,
                    limit: u32,
                ) -> StoreResult<Vec<UploadRecord>> {
                    // One statement. SQLite has one writer: an upload attached
                    // (or made an avatar) a moment ago is seen here and kept.
                    // PostgreSQL nodes may sweep at once: `skip_locked!` splits
                    // the work instead of making them wait on the same rows,
                    // and an attachment not yet committed is covered by the
                    // cutoff's wide margin.
                    let found = sqlx::query(concat!(
                        "DELETE FROM uploads WHERE id IN (SELECT u.id FROM uploads u \
                         WHERE u.created_at < $1 \
                         AND NOT EXISTS (SELECT 1 FROM message_attachments ma \
                                         WHERE ma.upload_id = u.id) \
                         AND NOT EXISTS (SELECT 1 FROM users WHERE avatar = u.id) \
                         AND NOT EXISTS (SELECT 1 FROM rooms WHERE avatar = u.id) \
                         ORDER BY u.created_at LIMIT $2",
                        skip_locked!(),
                        ") RETURNING ",
                        upload_columns!()
                    ))
                    .bind(Time(cutoff))
                    .bind(i64::from(limit))
                    .fetch_all(self.writer())
                    .await?;
                    found.iter().map(rows::upload).collect()
                }
            }
        }
    };
}
pub(crate) use upload_store;
