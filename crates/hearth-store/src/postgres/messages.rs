//! [`MessageStore`] for PostgreSQL: messages, their mentions and reactions,
//! and the two ways to page through a room (by seq, and by change).
//!
//! Every transaction that changes a room's messages starts by taking the
//! room's next seq ([`next_seq`]), which locks the room's row: changes to one
//! room are serialised in one lock order (room, then message), so they can
//! neither deadlock nor interleave, and one that turns out to change nothing
//! rolls back and hands its seq back.

use super::rows::{self, message_columns, uuids};
use super::{PgStore, is_unique_violation_of, next_seq};
use crate::error::{StoreError, StoreResult};
use crate::records::{Inserted, MAX_DISTINCT_REACTIONS, MessageRecord, NewMessage, ReactionRecord};
use crate::traits::MessageStore;
use async_trait::async_trait;
use hearth_protocol::{MessageId, RoomId, UploadId, UserId};
use sqlx::{PgConnection, PgExecutor, Row};
use time::OffsetDateTime;

#[async_trait]
impl MessageStore for PgStore {
    async fn insert_message(&self, new: NewMessage) -> StoreResult<Inserted<MessageRecord>> {
        // A retried send usually finds its message without taking any lock.
        if let Some(nonce) = &new.nonce
            && let Some(existing) =
                select_by_nonce(&self.pool, new.room_id, new.sender_id, nonce).await?
        {
            return Ok(Inserted::Existing(existing));
        }
        let mut tx = self.begin().await?;
        let seq = next_seq(&mut tx, new.room_id).await?;
        // Holding the room's lock, this statement sees every message that
        // committed before it, including a twin sent through another node.
        if let Some(nonce) = &new.nonce
            && let Some(existing) =
                select_by_nonce(&mut *tx, new.room_id, new.sender_id, nonce).await?
        {
            return Ok(Inserted::Existing(existing));
        }
        let inserted = sqlx::query(
            "INSERT INTO messages (id, room_id, seq, updated_seq, sender_id, body, nonce, \
             reply_to, mentions_room, anonymous, attachments, created_at) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(new.id.0)
        .bind(new.room_id.0)
        .bind(seq)
        .bind(new.sender_id.0)
        .bind(&new.body)
        .bind(&new.nonce)
        .bind(new.reply_to.map(|id| id.0))
        .bind(new.mentions_room)
        .bind(new.anonymous)
        .bind(uuids(&new.attachments, |id| id.0))
        .bind(new.created_at)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            // Unreachable while every writer takes the room lock first, but
            // the unique constraint is the rule: the winner's message is the
            // answer.
            if let Some(nonce) = &new.nonce
                && is_unique_violation_of(&e, "messages_unique_nonce")
            {
                drop(tx);
                if let Some(existing) = self
                    .message_by_nonce(new.room_id, new.sender_id, nonce)
                    .await?
                {
                    return Ok(Inserted::Existing(existing));
                }
            }
            return Err(e.into());
        }
        insert_mentions(&mut tx, new.id, new.room_id, seq, &new.mentions).await?;
        insert_attachments(&mut tx, new.id, &new.attachments).await?;
        let message = select_message(&mut *tx, new.room_id, new.id).await?;
        tx.commit().await?;
        Ok(Inserted::Created(message))
    }

    async fn message_by_id(&self, room: RoomId, id: MessageId) -> StoreResult<MessageRecord> {
        select_message(&self.pool, room, id).await
    }

    async fn message_by_nonce(
        &self,
        room: RoomId,
        sender: UserId,
        nonce: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        select_by_nonce(&self.pool, room, sender, nonce).await
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
        let mut tx = self.begin().await?;
        let seq = next_seq(&mut tx, room).await?;
        let message = select_live_message(&mut tx, room, id).await?;
        sqlx::query(
            "UPDATE messages SET body = $1, mentions_room = $2, edited_at = $3, \
             updated_seq = $4 WHERE id = $5",
        )
        .bind(body)
        .bind(mentions_room)
        .bind(now)
        .bind(seq)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM message_mentions WHERE message_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        insert_mentions(&mut tx, id, room, message.seq, mentions).await?;
        let message = select_message(&mut *tx, room, id).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn delete_message(&self, room: RoomId, id: MessageId) -> StoreResult<MessageRecord> {
        let mut tx = self.begin().await?;
        let seq = next_seq(&mut tx, room).await?;
        let message = select_message(&mut *tx, room, id).await?;
        if message.deleted {
            // Deleting twice changes nothing: the rollback returns the seq.
            return Ok(message);
        }
        // A tombstone keeps its place (seq), author and nonce, and nothing
        // else: a deleted message is not pinned either.
        sqlx::query(
            "UPDATE messages SET body = '', attachments = '{}', mentions_room = false, \
             pinned = false, deleted = true, updated_seq = $1 WHERE id = $2",
        )
        .bind(seq)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        // Without its message_attachments rows the tombstone no longer
        // shares its uploads with the room, and the orphan sweep may take them.
        for sql in [
            "DELETE FROM message_mentions WHERE message_id = $1",
            "DELETE FROM reactions WHERE message_id = $1",
            "DELETE FROM message_attachments WHERE message_id = $1",
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
        let mut tx = self.begin().await?;
        let seq = next_seq(&mut tx, room).await?;
        let message = select_live_message(&mut tx, room, id).await?;
        if message.pinned == pinned {
            return Ok(message);
        }
        sqlx::query("UPDATE messages SET pinned = $1, updated_seq = $2 WHERE id = $3")
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
        let mut tx = self.begin().await?;
        let seq = next_seq(&mut tx, room).await?;
        select_live_message(&mut tx, room, id).await?;
        let counts = sqlx::query(
            "SELECT count(DISTINCT emoji) AS distinct_emoji, \
             count(*) FILTER (WHERE emoji = $1) AS this_emoji, \
             count(*) FILTER (WHERE emoji = $1 AND user_id = $2) AS mine \
             FROM reactions WHERE message_id = $3",
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
            "INSERT INTO reactions (message_id, user_id, emoji, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(emoji)
        .bind(OffsetDateTime::now_utc())
        .execute(&mut *tx)
        .await?;
        let message = touch_message(&mut tx, room, id, seq).await?;
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
        let mut tx = self.begin().await?;
        let seq = next_seq(&mut tx, room).await?;
        select_message(&mut *tx, room, id).await?;
        let removed = sqlx::query(
            "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(emoji)
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Ok(None);
        }
        let message = touch_message(&mut tx, room, id, seq).await?;
        tx.commit().await?;
        Ok(Some(message))
    }

    async fn reactions_for(&self, ids: &[MessageId]) -> StoreResult<Vec<ReactionRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // `position` is insertion order: an emoji's lowest position is its
        // first use. uuid sorts byte-wise, as `Uuid` does.
        let rows = sqlx::query(
            "SELECT message_id, user_id, emoji FROM (SELECT r.message_id, r.user_id, r.emoji, \
             r.position, min(r.position) OVER (PARTITION BY r.message_id, r.emoji) AS first_use \
             FROM reactions r WHERE r.message_id = ANY($1)) x \
             ORDER BY message_id, first_use, position",
        )
        .bind(uuids(ids, |id| id.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReactionRecord {
                    message_id: MessageId(row.try_get("message_id")?),
                    user_id: UserId(row.try_get("user_id")?),
                    emoji: row.try_get("emoji")?,
                })
            })
            .collect()
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
            " FROM messages m WHERE m.room_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"
        ))
        .bind(room.0)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
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
            " FROM messages m WHERE m.room_id = $1 AND m.updated_seq > $2 \
             ORDER BY m.updated_seq LIMIT $3"
        ))
        .bind(room.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(rows::message)
            .collect::<StoreResult<Vec<_>>>()?;
        messages.sort_by_key(|m| m.seq);
        Ok(messages)
    }
}

async fn select_message<'e>(
    db: impl PgExecutor<'e>,
    room: RoomId,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages m WHERE m.id = $1 AND m.room_id = $2"
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
    conn: &mut PgConnection,
    room: RoomId,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    let message = select_message(conn, room, id).await?;
    if message.deleted {
        return Err(StoreError::NotFound);
    }
    Ok(message)
}

async fn select_by_nonce<'e>(
    db: impl PgExecutor<'e>,
    room: RoomId,
    sender: UserId,
    nonce: &str,
) -> StoreResult<Option<MessageRecord>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages m WHERE m.room_id = $1 AND m.sender_id = $2 AND m.nonce = $3"
    ))
    .bind(room.0)
    .bind(sender.0)
    .bind(nonce)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(rows::message).transpose()
}

/// Records who `message` mentions. Duplicates in `mentions` collapse into one.
async fn insert_mentions(
    conn: &mut PgConnection,
    message: MessageId,
    room: RoomId,
    seq: i64,
    mentions: &[UserId],
) -> StoreResult<()> {
    if mentions.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO message_mentions (message_id, room_id, seq, user_id) \
         SELECT $1, $2, $3, u FROM unnest($4::uuid[]) AS u ON CONFLICT DO NOTHING",
    )
    .bind(message.0)
    .bind(room.0)
    .bind(seq)
    .bind(uuids(mentions, |id| id.0))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records which uploads `message` carries (see `uploads.rs`). Duplicates
/// collapse into one.
async fn insert_attachments(
    conn: &mut PgConnection,
    message: MessageId,
    uploads: &[UploadId],
) -> StoreResult<()> {
    if uploads.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO message_attachments (upload_id, message_id) \
         SELECT u, $1 FROM unnest($2::uuid[]) AS u ON CONFLICT DO NOTHING",
    )
    .bind(message.0)
    .bind(uuids(uploads, |id| id.0))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records `seq` (taken by the caller) as the message's `updated_seq`, for a
/// change stored elsewhere (its reactions), and returns it as it now is.
async fn touch_message(
    conn: &mut PgConnection,
    room: RoomId,
    id: MessageId,
    seq: i64,
) -> StoreResult<MessageRecord> {
    sqlx::query("UPDATE messages SET updated_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    select_message(conn, room, id).await
}
