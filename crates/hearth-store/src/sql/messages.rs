//! [`MessageStore`](crate::MessageStore) written once: messages, their
//! mentions and reactions, and the two ways to page through a room (by seq,
//! and by change). Inserting a message is each backend's own (SQLite's group
//! commit, PostgreSQL's row lock): the template calls the store's
//! `insert_new_message`.
//!
//! Every transaction that changes a message starts by taking the room's
//! next seq (`next_seq`), which in PostgreSQL locks the room's row: changes
//! to one room are serialised in one lock order (room, then message), so
//! they can neither deadlock nor interleave, and one that turns out to change
//! nothing rolls back and hands its seq back.

/// Implements `MessageStore` for `$Store`, and the message helpers the
/// backend's own insert uses (see the [module docs](super) for what the
/// invoking module provides, here also `reaction_position!`).
macro_rules! message_store {
    ($Store:ident) => {
        mod message_store {
            use super::*;
            use hearth_protocol::{MessageId, RoomId, UploadId, UserId};
            use sqlx::Executor;
            use time::OffsetDateTime;
            use $crate::error::{StoreError, StoreResult};
            use $crate::records::{Inserted, MessageRecord, NewMessage, ReactionRecord};
            use $crate::sql::rows::{self, RecordRow};
            use $crate::sql::rules::{self, ReactionCounts};
            use $crate::sql::values::{Ids, Time};

            type Connection = <Db as sqlx::Database>::Connection;

            #[async_trait::async_trait]
            impl $crate::traits::MessageStore for $Store {
                async fn insert_message(
                    &self,
                    new: NewMessage,
                ) -> StoreResult<Inserted<MessageRecord>> {
                    self.insert_new_message(new).await
                }

                async fn message_by_id(
                    &self,
                    room: RoomId,
                    id: MessageId,
                ) -> StoreResult<Option<MessageRecord>> {
                    find_message(self.reader(), room, id).await
                }

                async fn message_by_nonce(
                    &self,
                    room: RoomId,
                    sender: UserId,
                    nonce: &str,
                ) -> StoreResult<Option<MessageRecord>> {
                    select_by_nonce(self.reader(), room, sender, nonce).await
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
                    let seq = next_seq(&mut tx, room).await?;
                    let message = select_live_message(&mut tx, room, id).await?;
                    sqlx::query(
                        "UPDATE messages SET body = $1, mentions_room = $2, edited_at = $3, \
                         updated_seq = $4 WHERE id = $5",
                    )
                    .bind(body)
                    .bind(mentions_room)
                    .bind(Time(now))
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

                async fn delete_message(
                    &self,
                    room: RoomId,
                    id: MessageId,
                ) -> StoreResult<MessageRecord> {
                    let mut tx = self.begin_write().await?;
                    let seq = next_seq(&mut tx, room).await?;
                    let message = select_message(&mut *tx, room, id).await?;
                    if message.deleted {
                        // Deleting twice changes nothing: the rollback
                        // returns the seq.
                        return Ok(message);
                    }
                    // A tombstone keeps its place (seq), author and nonce, and
                    // nothing else: a deleted message is not pinned either.
                    sqlx::query(
                        "UPDATE messages SET body = '', attachments = $1, mentions_room = FALSE, \
                         pinned = FALSE, deleted = TRUE, updated_seq = $2 WHERE id = $3",
                    )
                    .bind(Ids::default())
                    .bind(seq)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    // Without its message_attachments rows the tombstone no
                    // longer shares its uploads with the room, and the orphan
                    // sweep may take them.
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
                    let mut tx = self.begin_write().await?;
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
                    let mut tx = self.begin_write().await?;
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
                    let counts = ReactionCounts {
                        distinct_emoji: counts.int("distinct_emoji")?,
                        this_emoji: counts.int("this_emoji")?,
                        mine: counts.int("mine")?,
                    };
                    if !rules::reaction_is_new(&counts)? {
                        return Ok(None);
                    }
                    sqlx::query(
                        "INSERT INTO reactions (message_id, user_id, emoji, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id.0)
                    .bind(user.0)
                    .bind(emoji)
                    .bind(Time(OffsetDateTime::now_utc()))
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
                    let mut tx = self.begin_write().await?;
                    let seq = next_seq(&mut tx, room).await?;
                    select_message(&mut *tx, room, id).await?;
                    let removed = sqlx::query(
                        "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 \
                         AND emoji = $3",
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

                async fn reactions_for(
                    &self,
                    ids: &[MessageId],
                ) -> StoreResult<Vec<ReactionRecord>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    // Insertion order (`reaction_position!`) orders each
                    // emoji by its first use; ids compare byte-wise, as `Uuid`.
                    let found = sqlx::query(concat!(
                        "SELECT message_id, user_id, emoji FROM (SELECT r.message_id, r.user_id, \
                         r.emoji, r.",
                        reaction_position!(),
                        " AS position, min(r.",
                        reaction_position!(),
                        ") OVER (PARTITION BY r.message_id, r.emoji) AS first_use \
                         FROM reactions r WHERE r.message_id IN ",
                        id_set!("$1"),
                        ") x ORDER BY message_id, first_use, position"
                    ))
                    .bind(Ids::of(ids, |id| id.0))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::reaction).collect()
                }

                async fn messages_before(
                    &self,
                    room: RoomId,
                    before: Option<i64>,
                    limit: u32,
                ) -> StoreResult<Vec<MessageRecord>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages m WHERE m.room_id = $1 AND m.seq < $2 \
                         ORDER BY m.seq DESC LIMIT $3"
                    ))
                    .bind(room.0)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                    let mut messages = found
                        .iter()
                        .map(rows::message)
                        .collect::<StoreResult<Vec<_>>>()?;
                    messages.reverse();
                    Ok(messages)
                }

                async fn pinned_messages(
                    &self,
                    room: RoomId,
                    limit: u32,
                ) -> StoreResult<Vec<MessageRecord>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages m WHERE m.room_id = $1 AND m.pinned \
                         ORDER BY m.seq DESC LIMIT $2"
                    ))
                    .bind(room.0)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::message).collect()
                }

                async fn messages_changed_after(
                    &self,
                    room: RoomId,
                    after: i64,
                    limit: u32,
                ) -> StoreResult<Vec<MessageRecord>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages m WHERE m.room_id = $1 AND m.updated_seq > $2 \
                         ORDER BY m.updated_seq LIMIT $3"
                    ))
                    .bind(room.0)
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                    let mut messages = found
                        .iter()
                        .map(rows::message)
                        .collect::<StoreResult<Vec<_>>>()?;
                    messages.sort_by_key(|m| m.seq);
                    Ok(messages)
                }
            }

            type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

            /// Binds a new message as `$1`…`$10` of the backend's insert:
            /// id, room, sender, body, nonce, reply_to, mentions_room,
            /// anonymous, attachments, created_at.
            pub(super) fn bind_new_message<'q>(query: Query<'q>, new: &'q NewMessage) -> Query<'q> {
                query
                    .bind(new.id.0)
                    .bind(new.room_id.0)
                    .bind(new.sender_id.0)
                    .bind(&new.body)
                    .bind(&new.nonce)
                    .bind(new.reply_to.map(|id| id.0))
                    .bind(new.mentions_room)
                    .bind(new.anonymous)
                    .bind(Ids::of(&new.attachments, |id| id.0))
                    .bind(Time(new.created_at))
            }

            /// Takes the room's next seq (the caller records it as the
            /// changed message's `updated_seq`). `NotFound("room")` if the room does
            /// not exist. Must run inside the transaction that makes the
            /// change: a rollback returns the seq, and PostgreSQL keeps the
            /// room's row locked until the commit (so seqs commit in order).
            pub(super) async fn next_seq(conn: &mut Connection, room: RoomId) -> StoreResult<i64> {
                sqlx::query_scalar(
                    "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
                )
                .bind(room.0)
                .fetch_optional(conn)
                .await?
                .ok_or(StoreError::NotFound("room"))
            }

            /// The message, or `None` when `room` has no message `id`.
            async fn find_message<'e>(
                db: impl Executor<'e, Database = Db>,
                room: RoomId,
                id: MessageId,
            ) -> StoreResult<Option<MessageRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages m WHERE m.id = $1 AND m.room_id = $2"
                ))
                .bind(id.0)
                .bind(room.0)
                .fetch_optional(db)
                .await?;
                row.as_ref().map(rows::message).transpose()
            }

            /// The message a write acts on: `NotFound("message")` when
            /// `room` has no message `id`.
            pub(super) async fn select_message<'e>(
                db: impl Executor<'e, Database = Db>,
                room: RoomId,
                id: MessageId,
            ) -> StoreResult<MessageRecord> {
                find_message(db, room, id)
                    .await?
                    .ok_or(StoreError::NotFound("message"))
            }

            /// The message, unless it was deleted: a tombstone cannot be
            /// edited, pinned or reacted to, and to those callers it is as
            /// good as gone (`NotFound("message")`).
            async fn select_live_message(
                conn: &mut Connection,
                room: RoomId,
                id: MessageId,
            ) -> StoreResult<MessageRecord> {
                let message = select_message(conn, room, id).await?;
                if message.deleted {
                    return Err(StoreError::NotFound("message"));
                }
                Ok(message)
            }

            pub(super) async fn select_by_nonce<'e>(
                db: impl Executor<'e, Database = Db>,
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

            /// Records who `message` mentions. Duplicates in `mentions`
            /// collapse into one. (`WHERE TRUE`: SQLite needs it to tell an
            /// upsert from a join after `INSERT … SELECT … FROM`.)
            pub(super) async fn insert_mentions(
                conn: &mut Connection,
                message: MessageId,
                room: RoomId,
                seq: i64,
                mentions: &[UserId],
            ) -> StoreResult<()> {
                if mentions.is_empty() {
                    return Ok(());
                }
                sqlx::query(concat!(
                    "INSERT INTO message_mentions (message_id, room_id, seq, user_id) \
                     SELECT $1, $2, $3, ids.id FROM ",
                    id_set!("$4"),
                    " AS ids WHERE TRUE ON CONFLICT DO NOTHING"
                ))
                .bind(message.0)
                .bind(room.0)
                .bind(seq)
                .bind(Ids::of(mentions, |id| id.0))
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Records which uploads `message` carries (see `uploads.rs`).
            /// Duplicates collapse into one.
            pub(super) async fn insert_attachments(
                conn: &mut Connection,
                message: MessageId,
                uploads: &[UploadId],
            ) -> StoreResult<()> {
                if uploads.is_empty() {
                    return Ok(());
                }
                sqlx::query(concat!(
                    "INSERT INTO message_attachments (upload_id, message_id) SELECT ids.id, $1 \
                     FROM ",
                    id_set!("$2"),
                    " AS ids WHERE TRUE ON CONFLICT DO NOTHING"
                ))
                .bind(message.0)
                .bind(Ids::of(uploads, |id| id.0))
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Records `seq` (taken by the caller) as the message's
            /// `updated_seq`, for a change stored elsewhere (its reactions),
            /// and returns it as it now is.
            async fn touch_message(
                conn: &mut Connection,
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
        }
    };
}
pub(crate) use message_store;
