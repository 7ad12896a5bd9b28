//! [`RoomStore`] for PostgreSQL: rooms, memberships, read and delivered
//! markers, and unread counts.
//!
//! `rooms.member_count` is kept by a trigger (see the migration), so reading
//! a room never counts its members. Membership changes lock the room's row
//! first, as sends do, so a new member's markers start exactly at the room's
//! head and two nodes adding the same user agree on who added it.

use super::rows::{self, member_columns, message_columns, room_columns};
use super::{PgStore, conflict_or, found};
use crate::error::{StoreError, StoreResult};
use crate::records::{Inserted, MemberRecord, NewRoom, RoomListEntry, RoomPatch, RoomRecord};
use crate::traits::RoomStore;
use async_trait::async_trait;
use hearth_protocol::dto::Role;
use hearth_protocol::{RoomId, UserId};
use sqlx::{PgConnection, PgExecutor, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

const ROOM_CONFLICTS: &[(&str, &str)] = &[("rooms_unique_dm", "dm")];

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
/// `unread` walks the `(room_id, seq)` index from the read marker and stops
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
              AND mm.seq > mb.read_seq AND NOT m.mentions_room AND NOT m.deleted \
              AND m.sender_id <> mb.user_id) \
             + (SELECT count(*) FROM messages m WHERE ",
            unread_filter!(),
            " AND m.mentions_room) AS mention_count"
        )
    };
}

#[async_trait]
impl RoomStore for PgStore {
    async fn create_room(
        &self,
        new: NewRoom,
        members: &[(UserId, Role)],
    ) -> StoreResult<RoomRecord> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO rooms (id, kind, name, topic, description, anonymous_allowed, \
             created_by, created_at, dm_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new.id.0)
        .bind(new.kind.as_str())
        .bind(&new.name)
        .bind(&new.topic)
        .bind(&new.description)
        .bind(new.anonymous_allowed)
        .bind(new.created_by.0)
        .bind(new.created_at)
        .bind(&new.dm_key)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(e, ROOM_CONFLICTS))?;
        if !members.is_empty() {
            // One statement for all members; a user listed twice keeps the
            // first role (ORDER BY ordinality) rather than failing the creation.
            let users: Vec<Uuid> = members.iter().map(|(u, _)| u.0).collect();
            let roles: Vec<&str> = members.iter().map(|(_, r)| r.as_str()).collect();
            sqlx::query(
                "INSERT INTO members (room_id, user_id, role, joined_at) \
                 SELECT DISTINCT ON (u.user_id) $1, u.user_id, u.role, $4 \
                 FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS u (user_id, role, n) \
                 ORDER BY u.user_id, u.n \
                 ON CONFLICT (room_id, user_id) DO NOTHING",
            )
            .bind(new.id.0)
            .bind(users)
            .bind(roles)
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
        }
        let room = select_room(&mut *tx, new.id).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn room_by_id(&self, id: RoomId) -> StoreResult<RoomRecord> {
        select_room(&self.pool, id).await
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
             AND members.user_id = $2 WHERE rooms.id = $1"
        ))
        .bind(room.0)
        .bind(user.0)
        .fetch_one(&self.pool)
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
            " FROM rooms WHERE dm_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::room).transpose()
    }

    async fn update_room(&self, id: RoomId, patch: RoomPatch) -> StoreResult<RoomRecord> {
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
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::room(&row)
    }

    async fn search_channels(&self, query: &str, limit: u32) -> StoreResult<Vec<RoomRecord>> {
        // strpos() rather than LIKE: the query needs no escaping. Names sort
        // case-insensitively in byte order, as SQLite's NOCASE does.
        let rows = sqlx::query(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE kind = 'channel' AND NOT archived \
             AND ($1 = '' OR strpos(lower(name), lower($1)) > 0) \
             ORDER BY member_count DESC, lower(name) COLLATE \"C\", id LIMIT $2"
        ))
        .bind(query)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::room).collect()
    }

    async fn rooms_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>> {
        // One snapshot for both queries, so the counts and the last messages
        // agree.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let mut entries = counted_rooms(&mut *tx, user).await?;
        // The newest non-deleted message of each room: walks the (room_id,
        // seq) index backwards past any trailing tombstones.
        let message_rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM members mb JOIN LATERAL (SELECT x.* FROM messages x \
               WHERE x.room_id = mb.room_id AND NOT x.deleted \
               ORDER BY x.seq DESC LIMIT 1) m ON true \
             WHERE mb.user_id = $1 AND NOT mb.banned"
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
        counted_rooms(&self.pool, user).await
    }

    async fn memberships_of(&self, user: UserId) -> StoreResult<Vec<MemberRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM members WHERE user_id = $1 AND NOT banned"
        ))
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::member).collect()
    }

    async fn member(&self, room: RoomId, user: UserId) -> StoreResult<Option<MemberRecord>> {
        select_member(&self.pool, room, user).await
    }

    async fn members(&self, room: RoomId) -> StoreResult<Vec<MemberRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM members WHERE room_id = $1 AND NOT banned ORDER BY joined_at, user_id"
        ))
        .bind(room.0)
        .fetch_all(&self.pool)
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
        let mut tx = self.begin().await?;
        let last_seq = lock_room(&mut tx, room).await?;
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
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role, \
             joined_at = excluded.joined_at, read_seq = excluded.read_seq, \
             delivered_seq = excluded.delivered_seq, muted = false, banned = false \
             RETURNING ",
            member_columns!()
        ))
        .bind(room.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(now)
        .bind(last_seq)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Inserted::Created(rows::member(&row)?))
    }

    async fn remove_member(&self, room: RoomId, user: UserId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM members WHERE room_id = $1 AND user_id = $2")
            .bind(room.0)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    async fn ban_member(&self, room: RoomId, user: UserId, now: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let last_seq = lock_room(&mut tx, room).await?;
        ensure_user_exists(&mut tx, user).await?;
        sqlx::query(
            "INSERT INTO members (room_id, user_id, role, joined_at, read_seq, delivered_seq, \
             banned) VALUES ($1, $2, $3, $4, $5, $5, true) \
             ON CONFLICT (room_id, user_id) DO UPDATE SET banned = true",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(Role::Member.as_str())
        .bind(now)
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
            "UPDATE members SET role = coalesce($1, role), muted = coalesce($2, muted) \
             WHERE room_id = $3 AND user_id = $4 RETURNING ",
            member_columns!()
        ))
        .bind(role.map(Role::as_str))
        .bind(muted)
        .bind(room.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::member(&row)
    }

    async fn set_read_seq(&self, room: RoomId, user: UserId, seq: i64) -> StoreResult<i64> {
        raise_marker(
            self,
            "UPDATE members SET read_seq = greatest(read_seq, \
             least($1, (SELECT last_seq FROM rooms WHERE id = $2))) \
             WHERE room_id = $2 AND user_id = $3 RETURNING read_seq",
            room,
            user,
            seq,
        )
        .await
    }

    async fn set_delivered_seq(&self, room: RoomId, user: UserId, seq: i64) -> StoreResult<i64> {
        raise_marker(
            self,
            "UPDATE members SET delivered_seq = greatest(delivered_seq, \
             least($1, (SELECT last_seq FROM rooms WHERE id = $2))) \
             WHERE room_id = $2 AND user_id = $3 RETURNING delivered_seq",
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
            " FROM members mb WHERE mb.room_id = $1 AND mb.user_id = $2"
        ))
        .bind(room.0)
        .bind(user.0)
        .fetch_one(&self.pool)
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
             JOIN rooms r ON r.id = mine.room_id AND r.member_count <= $2 \
             JOIN members other ON other.room_id = mine.room_id \
             WHERE mine.user_id = $1 AND NOT mine.banned \
             AND NOT other.banned AND other.user_id <> $1",
        )
        .bind(user.0)
        .bind(max_members)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}

async fn select_room<'e>(db: impl PgExecutor<'e>, id: RoomId) -> StoreResult<RoomRecord> {
    let row = sqlx::query(concat!(
        "SELECT ",
        room_columns!(),
        " FROM rooms WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_one(db)
    .await?;
    rows::room(&row)
}

async fn select_member<'e>(
    db: impl PgExecutor<'e>,
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

/// Locks the room's row for the rest of the transaction and returns its
/// `last_seq`; `NotFound` if there is no such room.
async fn lock_room(conn: &mut PgConnection, room: RoomId) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = $1 FOR UPDATE")
            .bind(room.0)
            .fetch_one(conn)
            .await?,
    )
}

/// `NotFound` rather than a foreign-key failure for an unknown user.
async fn ensure_user_exists(conn: &mut PgConnection, user: UserId) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Runs one of the marker updates above: `$1` seq, `$2` room, `$3` user.
async fn raise_marker(
    store: &PgStore,
    sql: &'static str,
    room: RoomId,
    user: UserId,
    seq: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(sql)
        .bind(seq)
        .bind(room.0)
        .bind(user.0)
        .fetch_one(&store.pool)
        .await?)
}

/// Each room `user` is a (not banned) member of, with its counters and no
/// last message: the first half of `rooms_for_user`, all of
/// `room_counts_for_user`.
async fn counted_rooms(conn: impl PgExecutor<'_>, user: UserId) -> StoreResult<Vec<RoomListEntry>> {
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
