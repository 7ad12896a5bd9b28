//! [`RoomStore`](crate::RoomStore) written once: rooms, memberships, read
//! and delivered markers, and unread counts.
//!
//! `rooms.member_count` is kept by triggers (see the migrations), so reading
//! a room never counts its members. Membership changes lock the room's row
//! first (`lock_room`), as sends do, so a new member's markers start exactly
//! at the room's head and two nodes adding the same user agree on who added it.

/// Checked in order: the channel-name index's name also holds "dm"-free words
/// only, but it is the more specific rule.
pub(crate) const ROOM_CONFLICTS: &[(&str, &str)] =
    &[("channel_name", "channel name"), ("dm", "dm")];

/// The messages that count as unread for the membership `mb`: from others,
/// not deleted, after the read marker. Needs `messages` aliased as `m`.
macro_rules! unread_filter {
    () => {
        "m.room_id = mb.room_id AND m.seq > mb.read_seq AND NOT m.deleted \
         AND m.sender_id <> mb.user_id"
    };
}

/// `unread` and `mention_count` columns for the membership `mb`. Their cost
/// must not grow with a backlog (every connect reads them for every room):
/// `unread` walks the `messages_unread` index (SQLite: covering) from the
/// read marker and stops at [`MAX_UNREAD_COUNT`](crate::MAX_UNREAD_COUNT);
/// `mention_count` adds the user's direct mentions
/// (`message_mentions_by_user`) to the @room messages
/// (`messages_mentioning_room`, a partial index on the bare `mentions_room`,
/// which the query must spell the same way), each counted once.
macro_rules! unread_columns {
    () => {
        concat!(
            "(SELECT count(*) FROM (SELECT 1 FROM messages m WHERE ",
            $crate::sql::rooms::unread_filter!(),
            " LIMIT 100) capped) AS unread, \
             (SELECT count(*) FROM message_mentions mm JOIN messages m ON m.id = mm.message_id \
              WHERE mm.user_id = mb.user_id AND mm.room_id = mb.room_id \
              AND mm.seq > mb.read_seq AND NOT m.mentions_room AND NOT m.deleted \
              AND m.sender_id <> mb.user_id) \
             + (SELECT count(*) FROM messages m WHERE ",
            $crate::sql::rooms::unread_filter!(),
            " AND m.mentions_room) AS mention_count"
        )
    };
}
pub(crate) use {unread_columns, unread_filter};

/// Implements `RoomStore` for `$Store` (see the [module docs](super) for
/// what the invoking module provides, here also `dialect::LAST_MESSAGES`).
macro_rules! room_store {
    ($Store:ident) => {
        mod room_store {
            use super::*;
            use $crate::error::{StoreError, StoreResult};
            use $crate::records::{
                Inserted, MemberRecord, NewRoom, RoomListEntry, RoomPatch, RoomRecord,
            };
            use $crate::sql::rooms::{ROOM_CONFLICTS, unread_columns};
            use $crate::sql::rows::{self, RecordRow, member_columns, room_columns};
            use $crate::sql::values::Time;
            use $crate::sql::{conflict_or, found, rules};
            use hearth_protocol::dto::Role;
            use hearth_protocol::{RoomId, UserId};
            use sqlx::Executor;
            use time::OffsetDateTime;
            use uuid::Uuid;

            type Connection = <Db as sqlx::Database>::Connection;

            #[async_trait::async_trait]
            impl $crate::traits::RoomStore for $Store {
                async fn create_room(
                    &self,
                    new: NewRoom,
                    members: &[(UserId, Role)],
                ) -> StoreResult<RoomRecord> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO rooms (id, kind, name, topic, description, \
                         anonymous_allowed, created_by, created_at, dm_key) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(new.id.0)
                    .bind(new.kind.as_str())
                    .bind(&new.name)
                    .bind(&new.topic)
                    .bind(&new.description)
                    .bind(new.anonymous_allowed)
                    .bind(new.created_by.0)
                    .bind(Time(new.created_at))
                    .bind(&new.dm_key)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_or(e, ROOM_CONFLICTS))?;
                    for (user, role) in members {
                        // A user listed twice keeps the first role rather
                        // than failing the whole creation.
                        sqlx::query(
                            "INSERT INTO members (room_id, user_id, role, joined_at) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (room_id, user_id) DO NOTHING",
                        )
                        .bind(new.id.0)
                        .bind(user.0)
                        .bind(role.as_str())
                        .bind(Time(new.created_at))
                        .execute(&mut *tx)
                        .await?;
                    }
                    // Just inserted, in this transaction.
                    let room = select_room(&mut *tx, new.id)
                        .await?
                        .ok_or(StoreError::NotFound("room"))?;
                    tx.commit().await?;
                    Ok(room)
                }

                async fn room_by_id(&self, id: RoomId) -> StoreResult<Option<RoomRecord>> {
                    select_room(self.reader(), id).await
                }

                async fn room_with_member(
                    &self,
                    room: RoomId,
                    user: UserId,
                ) -> StoreResult<Option<(RoomRecord, Option<MemberRecord>)>> {
                    // The two column lists share no name, so they need no qualifier.
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        room_columns!(),
                        ", ",
                        member_columns!(),
                        " FROM rooms LEFT JOIN members ON members.room_id = rooms.id \
                         AND members.user_id = $2 WHERE rooms.id = $1"
                    ))
                    .bind(room.0)
                    .bind(user.0)
                    .fetch_optional(self.reader())
                    .await?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    Ok(Some((rows::room(&row)?, rows::joined_member(&row)?)))
                }

                async fn room_by_dm_key(&self, key: &str) -> StoreResult<Option<RoomRecord>> {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        room_columns!(),
                        " FROM rooms WHERE dm_key = $1"
                    ))
                    .bind(key)
                    .fetch_optional(self.reader())
                    .await?;
                    row.as_ref().map(rows::room).transpose()
                }

                async fn update_room(
                    &self,
                    id: RoomId,
                    patch: RoomPatch,
                ) -> StoreResult<RoomRecord> {
                    let (set_avatar, avatar) = match patch.avatar {
                        Some(avatar) => (true, avatar.map(|a| a.0)),
                        None => (false, None),
                    };
                    let row = sqlx::query(concat!(
                        "UPDATE rooms SET name = coalesce($1, name), topic = coalesce($2, topic), \
                         description = coalesce($3, description), \
                         anonymous_allowed = coalesce($4, anonymous_allowed), \
                         archived = coalesce($5, archived), \
                         avatar = CASE WHEN $6 THEN $7 ELSE avatar END \
                         WHERE id = $8 RETURNING ",
                        room_columns!()
                    ))
                    .bind(patch.name)
                    .bind(patch.topic)
                    .bind(patch.description)
                    .bind(patch.anonymous_allowed)
                    .bind(patch.archived)
                    .bind(set_avatar)
                    .bind(avatar)
                    .bind(id.0)
                    .fetch_optional(self.writer())
                    .await
                    .map_err(|e| conflict_or(e, ROOM_CONFLICTS))?
                    .ok_or(StoreError::NotFound("room"))?;
                    rows::room(&row)
                }

                async fn search_channels(
                    &self,
                    query: &str,
                    limit: u32,
                ) -> StoreResult<Vec<RoomRecord>> {
                    // A substring test rather than LIKE: the query needs no
                    // escaping. Names sort case-insensitively in byte order.
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        room_columns!(),
                        " FROM rooms WHERE kind = 'channel' AND NOT archived \
                         AND ($1 = '' OR ",
                        position!(),
                        "(lower(name), lower($1)) > 0) ORDER BY member_count DESC, lower(name)",
                        byte_order!(),
                        ", id LIMIT $2"
                    ))
                    .bind(query)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::room).collect()
                }

                async fn rooms_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>> {
                    // One snapshot, so the counts and the last messages agree;
                    // two queries in all, however many rooms.
                    let mut tx = self.begin_snapshot().await?;
                    let entries = counted_rooms(&mut *tx, user).await?;
                    let last_messages = sqlx::query(dialect::LAST_MESSAGES)
                        .bind(user.0)
                        .fetch_all(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    let last_messages = last_messages
                        .iter()
                        .map(rows::message)
                        .collect::<StoreResult<Vec<_>>>()?;
                    Ok(rules::room_list(entries, last_messages))
                }

                async fn room_counts_for_user(
                    &self,
                    user: UserId,
                ) -> StoreResult<Vec<RoomListEntry>> {
                    counted_rooms(self.reader(), user).await
                }

                async fn memberships_of(&self, user: UserId) -> StoreResult<Vec<MemberRecord>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        member_columns!(),
                        " FROM members WHERE user_id = $1 AND NOT banned"
                    ))
                    .bind(user.0)
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::member).collect()
                }

                async fn member(
                    &self,
                    room: RoomId,
                    user: UserId,
                ) -> StoreResult<Option<MemberRecord>> {
                    select_member(self.reader(), room, user).await
                }

                async fn members(&self, room: RoomId) -> StoreResult<Vec<MemberRecord>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        member_columns!(),
                        " FROM members WHERE room_id = $1 AND NOT banned \
                         ORDER BY joined_at, user_id"
                    ))
                    .bind(room.0)
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::member).collect()
                }

                async fn add_member(
                    &self,
                    room: RoomId,
                    user: UserId,
                    role: Role,
                    now: OffsetDateTime,
                ) -> StoreResult<Inserted<MemberRecord>> {
                    let mut tx = self.begin_write().await?;
                    let last_seq = lock_room(&mut tx, room).await?;
                    ensure_user_exists(&mut tx, user).await?;
                    if let Some(existing) = select_member(&mut *tx, room, user).await?
                        && !existing.banned
                    {
                        return Ok(Inserted::Existing(existing));
                    }
                    // Markers start at the room's head: history from before
                    // joining is not unread. A banned row is replaced wholesale.
                    let row = sqlx::query(concat!(
                        "INSERT INTO members (room_id, user_id, role, joined_at, read_seq, \
                         delivered_seq) VALUES ($1, $2, $3, $4, $5, $5) \
                         ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role, \
                         joined_at = excluded.joined_at, read_seq = excluded.read_seq, \
                         delivered_seq = excluded.delivered_seq, muted = FALSE, banned = FALSE \
                         RETURNING ",
                        member_columns!()
                    ))
                    .bind(room.0)
                    .bind(user.0)
                    .bind(role.as_str())
                    .bind(Time(now))
                    .bind(last_seq)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Inserted::Created(rows::member(&row)?))
                }

                async fn remove_member(&self, room: RoomId, user: UserId) -> StoreResult<()> {
                    let done =
                        sqlx::query("DELETE FROM members WHERE room_id = $1 AND user_id = $2")
                            .bind(room.0)
                            .bind(user.0)
                            .execute(self.writer())
                            .await?;
                    found(done.rows_affected(), "member")
                }

                async fn ban_member(
                    &self,
                    room: RoomId,
                    user: UserId,
                    now: OffsetDateTime,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let last_seq = lock_room(&mut tx, room).await?;
                    ensure_user_exists(&mut tx, user).await?;
                    sqlx::query(
                        "INSERT INTO members (room_id, user_id, role, joined_at, read_seq, \
                         delivered_seq, banned) VALUES ($1, $2, $3, $4, $5, $5, TRUE) \
                         ON CONFLICT (room_id, user_id) DO UPDATE SET banned = TRUE",
                    )
                    .bind(room.0)
                    .bind(user.0)
                    .bind(Role::Member.as_str())
                    .bind(Time(now))
                    .bind(last_seq)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn update_member(
                    &self,
                    room: RoomId,
                    user: UserId,
                    role: Option<Role>,
                    muted: Option<bool>,
                ) -> StoreResult<MemberRecord> {
                    let row = sqlx::query(concat!(
                        "UPDATE members SET role = coalesce($1, role), \
                         muted = coalesce($2, muted) \
                         WHERE room_id = $3 AND user_id = $4 RETURNING ",
                        member_columns!()
                    ))
                    .bind(role.map(Role::as_str))
                    .bind(muted)
                    .bind(room.0)
                    .bind(user.0)
                    .fetch_optional(self.writer())
                    .await?
                    .ok_or(StoreError::NotFound("member"))?;
                    rows::member(&row)
                }

                async fn set_read_seq(
                    &self,
                    room: RoomId,
                    user: UserId,
                    seq: i64,
                ) -> StoreResult<i64> {
                    raise_marker(self, SET_READ_SEQ, room, user, seq).await
                }

                async fn set_delivered_seq(
                    &self,
                    room: RoomId,
                    user: UserId,
                    seq: i64,
                ) -> StoreResult<i64> {
                    raise_marker(self, SET_DELIVERED_SEQ, room, user, seq).await
                }

                async fn unread_counts(
                    &self,
                    room: RoomId,
                    user: UserId,
                ) -> StoreResult<(i64, i64)> {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        unread_columns!(),
                        " FROM members mb WHERE mb.room_id = $1 AND mb.user_id = $2"
                    ))
                    .bind(room.0)
                    .bind(user.0)
                    .fetch_optional(self.reader())
                    .await?
                    .ok_or(StoreError::NotFound("member"))?;
                    Ok((row.int("unread")?, row.int("mention_count")?))
                }

                async fn users_sharing_rooms(
                    &self,
                    user: UserId,
                    max_members: i64,
                ) -> StoreResult<Vec<UserId>> {
                    let ids: Vec<Uuid> = sqlx::query_scalar(
                        "SELECT DISTINCT other.user_id FROM members mine \
                         JOIN rooms r ON r.id = mine.room_id AND r.member_count <= $2 \
                         JOIN members other ON other.room_id = mine.room_id \
                         WHERE mine.user_id = $1 AND NOT mine.banned \
                         AND NOT other.banned AND other.user_id <> $1",
                    )
                    .bind(user.0)
                    .bind(max_members)
                    .fetch_all(self.reader())
                    .await?;
                    Ok(ids.into_iter().map(UserId).collect())
                }
            }

            /// Raises a marker to `min($1, room.last_seq)`, never lowering
            /// it: `$1` seq, `$2` room, `$3` user.
            const SET_READ_SEQ: &str = concat!(
                "UPDATE members SET read_seq = ",
                greatest!(),
                "(read_seq, ",
                least!(),
                "($1, (SELECT last_seq FROM rooms WHERE id = $2))) \
                 WHERE room_id = $2 AND user_id = $3 RETURNING read_seq"
            );
            /// [`SET_READ_SEQ`] for the delivered marker.
            const SET_DELIVERED_SEQ: &str = concat!(
                "UPDATE members SET delivered_seq = ",
                greatest!(),
                "(delivered_seq, ",
                least!(),
                "($1, (SELECT last_seq FROM rooms WHERE id = $2))) \
                 WHERE room_id = $2 AND user_id = $3 RETURNING delivered_seq"
            );

            async fn raise_marker(
                store: &$Store,
                sql: &'static str,
                room: RoomId,
                user: UserId,
                seq: i64,
            ) -> StoreResult<i64> {
                sqlx::query_scalar(sql)
                    .bind(seq)
                    .bind(room.0)
                    .bind(user.0)
                    .fetch_optional(store.writer())
                    .await?
                    .ok_or(StoreError::NotFound("member"))
            }

            async fn select_room<'e>(
                db: impl Executor<'e, Database = Db>,
                id: RoomId,
            ) -> StoreResult<Option<RoomRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    room_columns!(),
                    " FROM rooms WHERE id = $1"
                ))
                .bind(id.0)
                .fetch_optional(db)
                .await?;
                row.as_ref().map(rows::room).transpose()
            }

            async fn select_member<'e>(
                db: impl Executor<'e, Database = Db>,
                room: RoomId,
                user: UserId,
            ) -> StoreResult<Option<MemberRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM members WHERE room_id = $1 AND user_id = $2"
                ))
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(db)
                .await?;
                row.as_ref().map(rows::member).transpose()
            }

            /// Locks the room's row for the rest of the transaction and
            /// returns its `last_seq`; `NotFound("room")` if there is no such room.
            async fn lock_room(conn: &mut Connection, room: RoomId) -> StoreResult<i64> {
                sqlx::query_scalar(concat!(
                    "SELECT last_seq FROM rooms WHERE id = $1",
                    for_update!()
                ))
                .bind(room.0)
                .fetch_optional(conn)
                .await?
                .ok_or(StoreError::NotFound("room"))
            }

            /// `NotFound("user")` rather than a foreign-key failure for an unknown user.
            async fn ensure_user_exists(conn: &mut Connection, user: UserId) -> StoreResult<()> {
                sqlx::query("SELECT 1 FROM users WHERE id = $1")
                    .bind(user.0)
                    .fetch_optional(conn)
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                Ok(())
            }

            /// Each room `user` is a (not banned) member of, with its
            /// counters and no last message: the first half of
            /// `rooms_for_user`, all of `room_counts_for_user`.
            async fn counted_rooms<'e>(
                db: impl Executor<'e, Database = Db>,
                user: UserId,
            ) -> StoreResult<Vec<RoomListEntry>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    room_columns!(),
                    ", ",
                    member_columns!(),
                    ", ",
                    unread_columns!(),
                    " FROM members mb JOIN rooms r ON r.id = mb.room_id \
                     WHERE mb.user_id = $1 AND NOT mb.banned"
                ))
                .bind(user.0)
                .fetch_all(db)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok(RoomListEntry {
                            room: rows::room(row)?,
                            member: rows::member(row)?,
                            unread: row.int("unread")?,
                            mention_count: row.int("mention_count")?,
                            last_message: None,
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use room_store;
