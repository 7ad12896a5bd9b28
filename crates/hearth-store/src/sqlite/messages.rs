//! [`MessageStore`] for SQLite: messages, their mentions and reactions, and
//! the two ways to page through a room (by seq, and by change).
//!
//! Every change takes the room's next seq inside the transaction that makes
//! it (see [`next_seq`]; message inserts in `group_commit`), so seqs are gap-free and a change is never visible
//! without its seq, nor its seq without the change.

use super::rows::{self, message_columns};
use super::{IN_LIST_CHUNK, SqliteStore, millis, next_seq, push_id_list};
use crate::error::{StoreError, StoreResult};
use crate::records::{Inserted, MAX_DISTINCT_REACTIONS, MessageRecord, NewMessage, ReactionRecord};
use crate::traits::MessageStore;
use async_trait::async_trait;
use hearth_protocol::{MessageId, RoomId, UploadId, UserId};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqliteExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl MessageStore for SqliteStore {
    async fn insert_message(&self, new: NewMessage) -> StoreResult<Inserted<MessageRecord>> {
        self.inserts.insert(new).await
    }

    async fn message_by_id(&self, room: RoomId, id: MessageId) -> StoreResult<MessageRecord> {
        select_message(&self.reader, room, id).await
    }

    async fn message_by_nonce(
        &self,
        room: RoomId,
        sender: UserId,
        nonce: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        select_by_nonce(&self.reader, room, sender, nonce).await
    }

    async fn edit_message(
        &self,
        room: RoomId,
        id: MessageId,
        body: &str,
        mentions: &[UserId],
        mentions_room: bool,
        now: OffsetDateTime,
    ) -> StoreResult<MessageRecord> {
        let mut tx = self.begin_write().await?;
        let message = select_live_message(&mut tx, room, id).await?;
        let seq = next_seq(&mut tx, room).await?;
        sqlx::query(
            "UPDATE messages SET body = ?, mentions_room = ?, edited_at = ?, updated_seq = ? \
             WHERE id = ?",
        )
        .bind(body)
        .bind(mentions_room)
        .bind(millis(now))
        .bind(seq)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM message_mentions WHERE message_id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        insert_mentions(&mut tx, id, room, message.seq, mentions).await?;
        let message = select_message(&mut *tx, room, id).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn delete_message(&self, room: RoomId, id: MessageId) -> StoreResult<MessageRecord> {
        let mut tx = self.begin_write().await?;
        let message = select_message(&mut *tx, room, id).await?;
        if message.deleted {
            // Deleting twice changes nothing, so it takes no seq.
            return Ok(message);
        }
        let seq = next_seq(&mut tx, room).await?;
        // A tombstone keeps its place (seq), author and nonce, and nothing
        // else: a deleted message is not pinned either.
        sqlx::query(
            "UPDATE messages SET body = '', attachments = '[]', mentions_room = 0, pinned = 0, \
             deleted = 1, updated_seq = ? WHERE id = ?",
        )
        .bind(seq)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        // Without its message_attachments rows the tombstone no longer
        // shares its uploads with the room, and the orphan sweep may take them.
        for sql in [
            "DELETE FROM message_mentions WHERE message_id = ?",
            "DELETE FROM reactions WHERE message_id = ?",
            "DELETE FROM message_attachments WHERE message_id = ?",
        ] {
            sqlx::query(sql).bind(id.0).execute(&mut *tx).await?;
        }
        let message = select_message(&mut *tx, room, id).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn set_pinned(
        &self,
        room: RoomId,
        id: MessageId,
        pinned: bool,
    ) -> StoreResult<MessageRecord> {
        let mut tx = self.begin_write().await?;
        let message = select_live_message(&mut tx, room, id).await?;
        if message.pinned == pinned {
            return Ok(message);
        }
        let seq = next_seq(&mut tx, room).await?;
        sqlx::query("UPDATE messages SET pinned = ?, updated_seq = ? WHERE id = ?")
            .bind(pinned)
            .bind(seq)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let message = select_message(&mut *tx, room, id).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn add_reaction(
        &self,
        room: RoomId,
        id: MessageId,
        user: UserId,
        emoji: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        let mut tx = self.begin_write().await?;
        select_live_message(&mut tx, room, id).await?;
        let counts = sqlx::query(
            "SELECT count(DISTINCT emoji) AS distinct_emoji, \
             count(*) FILTER (WHERE emoji = ?1) AS this_emoji, \
             count(*) FILTER (WHERE emoji = ?1 AND user_id = ?2) AS mine \
             FROM reactions WHERE message_id = ?3",
        )
        .bind(emoji)
        .bind(user.0)
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        if counts.try_get::<i64, _>("mine")? > 0 {
            return Ok(None);
        }
        if counts.try_get::<i64, _>("this_emoji")? == 0
            && counts.try_get::<i64, _>("distinct_emoji")? >= MAX_DISTINCT_REACTIONS
        {
            return Err(StoreError::Limit("distinct reactions"));
        }
        sqlx::query(
            "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(emoji)
        .bind(millis(OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        let message = touch_message(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(Some(message))
    }

    async fn remove_reaction(
        &self,
        room: RoomId,
        id: MessageId,
        user: UserId,
        emoji: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        let mut tx = self.begin_write().await?;
        select_message(&mut *tx, room, id).await?;
        let removed =
            sqlx::query("DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?")
                .bind(id.0)
                .bind(user.0)
                .bind(emoji)
                .execute(&mut *tx)
                .await?;
        if removed.rows_affected() == 0 {
            return Ok(None);
        }
        let message = touch_message(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(Some(message))
    }

    async fn reactions_for(&self, ids: &[MessageId]) -> StoreResult<Vec<ReactionRecord>> {
        // Sorted, so that chunk after chunk the output stays ordered by
        // message (a BLOB compares like the `Uuid` it holds).
        let mut ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut reactions = Vec::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            // rowid is insertion order: an emoji's lowest rowid is its first use.
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT r.message_id, r.user_id, r.emoji FROM reactions r WHERE r.message_id IN ",
            );
            push_id_list(&mut query, chunk);
            query.push(
                " ORDER BY r.message_id, (SELECT min(x.rowid) FROM reactions x \
                 WHERE x.message_id = r.message_id AND x.emoji = r.emoji), r.rowid",
            );
            for row in query.build().fetch_all(&self.reader).await? {
                reactions.push(ReactionRecord {
                    message_id: MessageId(row.try_get("message_id")?),
                    user_id: UserId(row.try_get("user_id")?),
                    emoji: row.try_get("emoji")?,
                });
            }
        }
        Ok(reactions)
    }

    async fn messages_before(
        &self,
        room: RoomId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages m WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?"
        ))
        .bind(room.0)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        let mut messages = rows
            .iter()
            .map(rows::message)
            .collect::<StoreResult<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }

    async fn messages_changed_after(
        &self,
        room: RoomId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages m WHERE m.room_id = ? AND m.updated_seq > ? \
             ORDER BY m.updated_seq LIMIT ?"
        ))
        .bind(room.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        let mut messages = rows
            .iter()
            .map(rows::message)
            .collect::<StoreResult<Vec<_>>>()?;
        messages.sort_by_key(|m| m.seq);
        Ok(messages)
    }
}

pub(super) async fn select_message<'e>(
    db: impl SqliteExecutor<'e>,
    room: RoomId,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages m WHERE m.id = ? AND m.room_id = ?"
    ))
    .bind(id.0)
    .bind(room.0)
    .fetch_one(db)
    .await?;
    rows::message(&row)
}

/// The message, unless it was deleted: a tombstone cannot be edited, pinned
/// or reacted to, and to those callers it is as good as gone (`NotFound`).
async fn select_live_message(
    conn: &mut SqliteConnection,
    room: RoomId,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    let message = select_message(conn, room, id).await?;
    if message.deleted {
        return Err(StoreError::NotFound);
    }
    Ok(message)
}

pub(super) async fn select_by_nonce<'e>(
    db: impl SqliteExecutor<'e>,
    room: RoomId,
    sender: UserId,
    nonce: &str,
) -> StoreResult<Option<MessageRecord>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages m WHERE m.room_id = ? AND m.sender_id = ? AND m.nonce = ?"
    ))
    .bind(room.0)
    .bind(sender.0)
    .bind(nonce)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(rows::message).transpose()
}

/// Records who `message` mentions. Duplicates in `mentions` collapse into one.
pub(super) async fn insert_mentions(
    conn: &mut SqliteConnection,
    message: MessageId,
    room: RoomId,
    seq: i64,
    mentions: &[UserId],
) -> StoreResult<()> {
    for user in mentions {
        sqlx::query(
            "INSERT INTO message_mentions (message_id, room_id, seq, user_id) \
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(message.0)
        .bind(room.0)
        .bind(seq)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records which uploads `message` carries (see `uploads.rs`). Duplicates
/// collapse into one.
pub(super) async fn insert_attachments(
    conn: &mut SqliteConnection,
    message: MessageId,
    uploads: &[UploadId],
) -> StoreResult<()> {
    for upload in uploads {
        sqlx::query(
            "INSERT INTO message_attachments (upload_id, message_id) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(upload.0)
        .bind(message.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Gives the message the room's next seq as its `updated_seq`, for a change
/// stored elsewhere (its reactions), and returns it as it now is.
async fn touch_message(
    conn: &mut SqliteConnection,
    room: RoomId,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    let seq = next_seq(conn, room).await?;
    sqlx::query("UPDATE messages SET updated_seq = ? WHERE id = ?")
        .bind(seq)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    select_message(conn, room, id).await
}
