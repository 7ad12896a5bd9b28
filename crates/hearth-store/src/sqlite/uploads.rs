//! [`UploadStore`] for SQLite: upload rows, who may see them, and the sweep
//! of uploads nothing uses.
//!
//! Which messages carry an upload is kept in `message_attachments` by the
//! message code (see `messages.rs`); here it is only read.

use super::rows::{self, upload_columns};
use super::{IN_LIST_CHUNK, SqliteStore, conflict_or, millis, push_id_list};
use crate::error::StoreResult;
use crate::records::UploadRecord;
use crate::traits::UploadStore;
use async_trait::async_trait;
use hearth_protocol::{UploadId, UserId};
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl UploadStore for SqliteStore {
    async fn insert_upload(&self, upload: &UploadRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO uploads (id, uploader_id, filename, content_type, size, sha256, width, \
             height, duration_ms, waveform, preview_type, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(millis(upload.created_at))
        .execute(&self.writer)
        .await
        .map_err(|e| conflict_or(e, &[("uploads.id", "upload")]))?;
        Ok(())
    }

    async fn upload_by_id(&self, id: UploadId) -> StoreResult<UploadRecord> {
        let row = sqlx::query(concat!(
            "SELECT ",
            upload_columns!(),
            " FROM uploads WHERE id = ?"
        ))
        .bind(id.0)
        .fetch_one(&self.reader)
        .await?;
        rows::upload(&row)
    }

    async fn uploads_by_ids(&self, ids: &[UploadId]) -> StoreResult<Vec<UploadRecord>> {
        let mut ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut uploads = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(concat!(
                "SELECT ",
                upload_columns!(),
                " FROM uploads WHERE id IN "
            ));
            push_id_list(&mut query, chunk);
            for row in query.build().fetch_all(&self.reader).await? {
                uploads.push(rows::upload(&row)?);
            }
        }
        Ok(uploads)
    }

    async fn upload_by_sha256(&self, sha256: &str) -> StoreResult<Option<UploadRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            upload_columns!(),
            " FROM uploads WHERE sha256 = ? LIMIT 1"
        ))
        .bind(sha256)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(rows::upload).transpose()
    }

    async fn sha256_in_use(&self, sha256: &str) -> StoreResult<bool> {
        // On the writer: the answer decides whether a blob is deleted, so it
        // must see the sweep's own deletions and every committed insert.
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ?)")
                .bind(sha256)
                .fetch_one(&self.writer)
                .await?,
        )
    }

    async fn upload_shared_with(&self, upload: UploadId, user: UserId) -> StoreResult<bool> {
        // Index walk: message_attachments by upload → the message by id →
        // the membership by (room, user).
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM message_attachments ma \
             JOIN messages m ON m.id = ma.message_id \
             JOIN members mem ON mem.room_id = m.room_id AND mem.user_id = ?2 \
             WHERE ma.upload_id = ?1 AND m.deleted = 0 AND mem.banned = 0)",
        )
        .bind(upload.0)
        .bind(user.0)
        .fetch_one(&self.reader)
        .await?)
    }

    async fn delete_orphan_uploads(
        &self,
        cutoff: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<UploadRecord>> {
        // One statement on the one writer: an upload attached (or made an
        // avatar) a moment ago is seen here and kept.
        let rows = sqlx::query(concat!(
            "DELETE FROM uploads WHERE id IN (SELECT u.id FROM uploads u \
             WHERE u.created_at < ? \
             AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.upload_id = u.id) \
             AND NOT EXISTS (SELECT 1 FROM users WHERE avatar = u.id) \
             AND NOT EXISTS (SELECT 1 FROM rooms WHERE avatar = u.id) \
             ORDER BY u.created_at LIMIT ?) RETURNING ",
            upload_columns!()
        ))
        .bind(millis(cutoff))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(rows::upload).collect()
    }
}
