//! [`RoomStore`] for SQLite: rooms, memberships, read and delivered markers,
//! and unread counts.
//!
//! `rooms.member_count` is kept by triggers (see the migration), so reading
//! a room never counts its members.

use super::rows::{self, member_columns, message_columns, prefixed_user_columns, room_columns};
use super::{SqliteStore, conflict_or, found, millis};
use crate::error::{StoreError, StoreResult};
use crate::records::{
    Inserted, MemberRecord, NewRoom, RoomListEntry, RoomPatch, RoomRecord, SendingContext,
};
use crate::traits::RoomStore;
use async_trait::async_trait;
use hearth_protocol::dto::Role;
use hearth_protocol::{RoomId, UserId};
use sqlx::SqlitePool;
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

const ROOM_CONFLICTS: &[(&str, &str)] = &[("dm_key", "dm")];

/// The messages that count as unread for the membership `mb`: from others,
/// not deleted, after the read marker. Needs `messages` aliased as `m`.
macro_rules! unread_filter {
    () => {
        "m.room_id = mb.room_id AND m.seq > mb.read_seq AND m.deleted = 0 \
         AND m.sender_id != mb.user_id"
    };
}

/// `unread` and `mention_count` columns for the membership `mb`. Their cost
/// must not grow with a backlog (every connect reads them for every room):
/// `unread` walks the covering `messages_unread` index from the read marker and stops
/// at [`MAX_UNREAD_COUNT`](crate::MAX_UNREAD_COUNT); `mention_count` adds the
/// user's direct mentions (`message_mentions_by_user`) to the @room messages
/// (`messages_mentioning_room`, a partial index), each counted once.
macro_rules! unread_columns {
    () => {
        concat!(
            "(SELECT count(*) FROM (SELECT 1 FROM messages m WHERE ",
            unread_filter!(),
            " LIMIT 100) capped) AS unread, \
             (SELECT count(*) FROM message_mentions mm JOIN messages m ON m.id = mm.message_id \
              WHERE mm.user_id = mb.user_id AND mm.room_id = mb.room_id \
              AND mm.seq > mb.read_seq AND m.mentions_room = 0 AND m.deleted = 0 \
              AND m.sender_id != mb.user_id) \
             + (SELECT count(*) FROM messages m WHERE ",
            unread_filter!(),
            " AND m.mentions_room = 1) AS mention_count"
        )
    };
}

#[async_trait]
impl RoomStore for SqliteStore {
    async fn create_room(
        &self,
        new: NewRoom,
        members: &[(UserId, Role)],
    ) -> StoreResult<RoomRecord> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO rooms (id, kind, name, topic, description, anonymous_allowed, \
             created_by, created_at, dm_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.id.0)
        .bind(new.kind.as_str())
        .bind(&new.name)
        .bind(&new.topic)
        .bind(&new.description)
        .bind(new.anonymous_allowed)
        .bind(new.created_by.0)
        .bind(millis(new.created_at))
        .bind(&new.dm_key)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(e, ROOM_CONFLICTS))?;
        for (user, role) in members {
            // A user listed twice keeps the first role rather than failing
            // the whole creation.
            sqlx::query(
                "INSERT INTO members (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (room_id, user_id) DO NOTHING",
            )
            .bind(new.id.0)
            .bind(user.0)
            .bind(role.as_str())
            .bind(millis(new.created_at))
            .execute(&mut *tx)
            .await?;
        }
        let room = select_room(&mut *tx, new.id).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn room_by_id(&self, id: RoomId) -> StoreResult<RoomRecord> {
        select_room(&self.reader, id).await
    }

    async fn room_with_member(
        &self,
        room: RoomId,
        user: UserId,
    ) -> StoreResult<(RoomRecord, Option<MemberRecord>)> {
        // The two column lists share no name, so they need no qualifier.
        let row = sqlx::query(concat!(
            "SELECT ",
            room_columns!(),
            ", ",
            member_columns!(),
            " FROM rooms LEFT JOIN members ON members.room_id = rooms.id \
             AND members.user_id = ?2 WHERE rooms.id = ?1"
        ))
        .bind(room.0)
        .bind(user.0)
        .fetch_one(&self.reader)
        .await?;
        let member = if row.try_get::<Option<Uuid>, _>("user_id")?.is_some() {
            Some(rows::member(&row)?)
        } else {
            None
        };
        Ok((rows::room(&row)?, member))
    }

    async fn room_by_dm_key(&self, key: &str) -> StoreResult<Option<RoomRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE dm_key = ?"
        ))
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(rows::room).transpose()
    }

    async fn update_room(&self, id: RoomId, patch: RoomPatch) -> StoreResult<RoomRecord> {
        let (set_avatar, avatar) = match patch.avatar {
            Some(avatar) => (true, avatar.map(|a| a.0)),
            None => (false, None),
        };
        let row = sqlx::query(concat!(
            "UPDATE rooms SET name = coalesce(?, name), topic = coalesce(?, topic), \
             description = coalesce(?, description), \
             anonymous_allowed = coalesce(?, anonymous_allowed), \
             archived = coalesce(?, archived), \
             avatar = CASE WHEN ? THEN ? ELSE avatar END \
             WHERE id = ? RETURNING ",
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
        .fetch_optional(&self.writer)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::room(&row)
    }

    async fn search_channels(&self, query: &str, limit: u32) -> StoreResult<Vec<RoomRecord>> {
        // instr() rather than LIKE: the query needs no escaping.
        let rows = sqlx::query(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE kind = 'channel' AND archived = 0 \
             AND (?1 = '' OR instr(lower(name), lower(?1)) > 0) \
             ORDER BY member_count DESC, name COLLATE NOCASE, id LIMIT ?2"
        ))
        .bind(query)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::room).collect()
    }

    async fn rooms_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>> {
        // One read transaction, so the counts and the last messages come from
        // the same snapshot; two queries in all, however many rooms.
        let mut tx = self.reader.begin().await?;
        let mut entries = counted_rooms(&mut *tx, user).await?;
        // The newest non-deleted message of each room: walks the (room_id,
        // seq) index backwards past any trailing tombstones.
        let message_rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM members mb JOIN messages m ON m.room_id = mb.room_id \
             AND m.seq = (SELECT x.seq FROM messages x \
                          WHERE x.room_id = mb.room_id AND x.deleted = 0 \
                          ORDER BY x.seq DESC LIMIT 1) \
             WHERE mb.user_id = ? AND mb.banned = 0"
        ))
        .bind(user.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        let mut last_messages = HashMap::with_capacity(message_rows.len());
        for row in &message_rows {
            let message = rows::message(row)?;
            last_messages.insert(message.room_id, message);
        }
        for entry in &mut entries {
            entry.last_message = last_messages.remove(&entry.room.id);
        }
        // Most recently active first, the order a room list shows.
        entries.sort_by_key(|e| {
            let active = e
                .last_message
                .as_ref()
                .map_or(e.room.created_at, |m| m.created_at);
            (std::cmp::Reverse(active), e.room.id)
        });
        Ok(entries)
    }

    async fn room_counts_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>> {
        counted_rooms(&self.reader, user).await
    }

    async fn memberships_of(&self, user: UserId) -> StoreResult<Vec<MemberRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM members WHERE user_id = ? AND banned = 0"
        ))
        .bind(user.0)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::member).collect()
    }

    async fn member(&self, room: RoomId, user: UserId) -> StoreResult<Option<MemberRecord>> {
        select_member(&self.reader, room, user).await
    }

    async fn members(&self, room: RoomId) -> StoreResult<Vec<MemberRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM members WHERE room_id = ? AND banned = 0 ORDER BY joined_at, user_id"
        ))
        .bind(room.0)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::member).collect()
    }

    async fn add_member(
        &self,
        room: RoomId,
        user: UserId,
        role: Role,
        now: OffsetDateTime,
    ) -> StoreResult<Inserted<MemberRecord>> {
        let mut tx = self.begin_write().await?;
        let last_seq = room_last_seq(&mut tx, room).await?;
        ensure_user_exists(&mut tx, user).await?;
        if let Some(existing) = select_member(&mut *tx, room, user).await?
            && !existing.banned
        {
            return Ok(Inserted::Existing(existing));
        }
        // Markers start at the room's head: history from before joining is
        // not unread. A banned row is replaced wholesale.
        let row = sqlx::query(concat!(
            "INSERT INTO members (room_id, user_id, role, joined_at, read_seq, delivered_seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
             ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role, \
             joined_at = excluded.joined_at, read_seq = excluded.read_seq, \
             delivered_seq = excluded.delivered_seq, muted = 0, banned = 0 \
             RETURNING ",
            member_columns!()
        ))
        .bind(room.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(millis(now))
        .bind(last_seq)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Inserted::Created(rows::member(&row)?))
    }

    async fn remove_member(&self, room: RoomId, user: UserId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM members WHERE room_id = ? AND user_id = ?")
            .bind(room.0)
            .bind(user.0)
            .execute(&self.writer)
            .await?;
        found(done.rows_affected())
    }

    async fn ban_member(&self, room: RoomId, user: UserId, now: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let last_seq = room_last_seq(&mut tx, room).await?;
        ensure_user_exists(&mut tx, user).await?;
        sqlx::query(
            "INSERT INTO members (room_id, user_id, role, joined_at, read_seq, delivered_seq, \
             banned) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1) \
             ON CONFLICT (room_id, user_id) DO UPDATE SET banned = 1",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(Role::Member.as_str())
        .bind(millis(now))
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
            "UPDATE members SET role = coalesce(?, role), muted = coalesce(?, muted) \
             WHERE room_id = ? AND user_id = ? RETURNING ",
            member_columns!()
        ))
        .bind(role.map(Role::as_str))
        .bind(muted)
        .bind(room.0)
        .bind(user.0)
        .fetch_optional(&self.writer)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::member(&row)
    }

    async fn set_read_seq(&self, room: RoomId, user: UserId, seq: i64) -> StoreResult<i64> {
        raise_marker(
            self,
            "UPDATE members SET read_seq = max(read_seq, \
             min(?1, (SELECT last_seq FROM rooms WHERE id = ?2))) \
             WHERE room_id = ?2 AND user_id = ?3 RETURNING read_seq",
            room,
            user,
            seq,
        )
        .await
    }

    async fn set_delivered_seq(&self, room: RoomId, user: UserId, seq: i64) -> StoreResult<i64> {
        raise_marker(
            self,
            "UPDATE members SET delivered_seq = max(delivered_seq, \
             min(?1, (SELECT last_seq FROM rooms WHERE id = ?2))) \
             WHERE room_id = ?2 AND user_id = ?3 RETURNING delivered_seq",
            room,
            user,
            seq,
        )
        .await
    }

    async fn unread_counts(&self, room: RoomId, user: UserId) -> StoreResult<(i64, i64)> {
        let row = sqlx::query(concat!(
            "SELECT ",
            unread_columns!(),
            " FROM members mb WHERE mb.room_id = ? AND mb.user_id = ?"
        ))
        .bind(room.0)
        .bind(user.0)
        .fetch_one(&self.reader)
        .await?;
        Ok((row.try_get("unread")?, row.try_get("mention_count")?))
    }

    async fn users_sharing_rooms(
        &self,
        user: UserId,
        max_members: i64,
    ) -> StoreResult<Vec<UserId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT other.user_id FROM members mine \
             JOIN rooms r ON r.id = mine.room_id AND r.member_count <= ?2 \
             JOIN members other ON other.room_id = mine.room_id \
             WHERE mine.user_id = ?1 AND mine.banned = 0 \
             AND other.banned = 0 AND other.user_id != ?1",
        )
        .bind(user.0)
        .bind(max_members)
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}

async fn select_room<'e>(db: impl SqliteExecutor<'e>, id: RoomId) -> StoreResult<RoomRecord> {
    let row = sqlx::query(concat!(
        "SELECT ",
        room_columns!(),
        " FROM rooms WHERE id = ?"
    ))
    .bind(id.0)
    .fetch_one(db)
    .await?;
    rows::room(&row)
}

async fn select_member<'e>(
    db: impl SqliteExecutor<'e>,
    room: RoomId,
    user: UserId,
) -> StoreResult<Option<MemberRecord>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        member_columns!(),
        " FROM members WHERE room_id = ? AND user_id = ?"
    ))
    .bind(room.0)
    .bind(user.0)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(rows::member).transpose()
}

/// The room's `last_seq`; `NotFound` if there is no such room.
async fn room_last_seq(conn: &mut SqliteConnection, room: RoomId) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = ?")
            .bind(room.0)
            .fetch_one(conn)
            .await?,
    )
}

/// `NotFound` rather than a foreign-key failure for an unknown user.
async fn ensure_user_exists(conn: &mut SqliteConnection, user: UserId) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM users WHERE id = ?")
        .bind(user.0)
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Runs one of the marker updates above: `?1` seq, `?2` room, `?3` user.
async fn raise_marker(
    store: &SqliteStore,
    sql: &'static str,
    room: RoomId,
    user: UserId,
    seq: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(sql)
        .bind(seq)
        .bind(room.0)
        .bind(user.0)
        .fetch_one(&store.writer)
        .await?)
}

/// [`Store::sending_context`](crate::Store::sending_context) in one query:
/// each statement is a round trip to a connection's worker thread, and on a
/// busy server those hand-offs cost more than the reads. The user's columns
/// are prefixed (`u_`) to keep them apart from the room's.
pub(super) async fn sending_context(
    reader: &SqlitePool,
    room: RoomId,
    user: UserId,
) -> StoreResult<SendingContext> {
    let row = sqlx::query(concat!(
        "SELECT ",
        room_columns!(),
        ", ",
        member_columns!(),
        ", u.*, \
         (SELECT json_group_array(hex(f.user_id)) FROM members AS f \
          WHERE f.room_id = rooms.id AND f.notify_level = 'all' AND f.banned = 0) AS notify_all \
         FROM rooms LEFT JOIN members ON members.room_id = rooms.id AND members.user_id = ?2 \
         LEFT JOIN (SELECT ",
        prefixed_user_columns!(),
        " FROM users WHERE id = ?2) AS u WHERE rooms.id = ?1"
    ))
    .bind(room.0)
    .bind(user.0)
    .fetch_one(reader)
    .await?;
    let member = if row.try_get::<Option<Uuid>, _>("user_id")?.is_some() {
        Some(rows::member(&row)?)
    } else {
        None
    };
    let sender = if row.try_get::<Option<Uuid>, _>("u_id")?.is_some() {
        Some(rows::prefixed_user(&row)?)
    } else {
        None
    };
    let notify_all: String = row.try_get("notify_all")?;
    let notify_all = rows::parse_hex_uuids(&notify_all)
        .map_err(|e| StoreError::Corrupt(format!("members of room {room}: {e}")))?;
    Ok(SendingContext {
        room: rows::room(&row)?,
        member,
        sender,
        notify_all: notify_all.into_iter().map(UserId).collect(),
    })
}

/// Each room `user` is a (not banned) member of, with its counters and no
/// last message: the first half of `rooms_for_user`, all of
/// `room_counts_for_user`.
async fn counted_rooms(
    conn: impl SqliteExecutor<'_>,
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
         WHERE mb.user_id = ? AND mb.banned = 0"
    ))
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    let mut entries = Vec::with_capacity(found.len());
    for row in &found {
        entries.push(RoomListEntry {
            room: rows::room(row)?,
            member: rows::member(row)?,
            unread: row.try_get("unread")?,
            mention_count: row.try_get("mention_count")?,
            last_message: None,
        });
    }
    Ok(entries)
}
