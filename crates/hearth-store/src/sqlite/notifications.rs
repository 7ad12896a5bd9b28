//! [`NotificationStore`] for SQLite: members' notification levels, users'
//! do-not-disturb, Web Push subscriptions and e-mail digest bookkeeping.

use super::rows::{self, member_columns, message_columns, user_columns};
use super::{SqliteStore, from_millis, millis};
use crate::error::{StoreError, StoreResult};
use crate::records::{
    DigestRecipient, MemberRecord, MessageRecord, PushSubscriptionRecord, UserRecord,
};
use crate::traits::NotificationStore;
use async_trait::async_trait;
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{RoomId, UserId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn set_notify_level(
        &self,
        room: RoomId,
        user: UserId,
        level: Option<NotifyLevel>,
    ) -> StoreResult<MemberRecord> {
        let row = sqlx::query(concat!(
            "UPDATE members SET notify_level = ? WHERE room_id = ? AND user_id = ? \
             AND banned = 0 RETURNING ",
            member_columns!()
        ))
        .bind(level.map(NotifyLevel::as_str))
        .bind(room.0)
        .bind(user.0)
        .fetch_optional(&self.writer)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::member(&row)
    }

    async fn members_with_notify_level(
        &self,
        room: RoomId,
        level: NotifyLevel,
    ) -> StoreResult<Vec<UserId>> {
        // The level is spelt out so that the partial index on 'all' applies
        // (SQLite cannot match a bound parameter against an index's WHERE).
        let sql = match level {
            NotifyLevel::All => {
                "SELECT user_id FROM members WHERE room_id = ? AND notify_level = 'all' \
                 AND banned = 0"
            }
            NotifyLevel::Mentions => {
                "SELECT user_id FROM members WHERE room_id = ? AND notify_level = 'mentions' \
                 AND banned = 0"
            }
            NotifyLevel::None => {
                "SELECT user_id FROM members WHERE room_id = ? AND notify_level = 'none' \
                 AND banned = 0"
            }
        };
        let ids: Vec<Uuid> = sqlx::query_scalar(sql)
            .bind(room.0)
            .fetch_all(&self.reader)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    async fn set_dnd_until(
        &self,
        user: UserId,
        until: Option<OffsetDateTime>,
    ) -> StoreResult<UserRecord> {
        let row = sqlx::query(concat!(
            "UPDATE users SET dnd_until = ? WHERE id = ? RETURNING ",
            user_columns!()
        ))
        .bind(until.map(millis))
        .bind(user.0)
        .fetch_optional(&self.writer)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::user(&row)
    }

    async fn upsert_push_subscription(&self, sub: &PushSubscriptionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, \
             p256dh = excluded.p256dh, auth = excluded.auth",
        )
        .bind(sub.id)
        .bind(sub.user_id.0)
        .bind(&sub.endpoint)
        .bind(&sub.p256dh)
        .bind(&sub.auth)
        .bind(millis(sub.created_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn push_subscriptions(&self, user: UserId) -> StoreResult<Vec<PushSubscriptionRecord>> {
        let found = sqlx::query(
            "SELECT id, user_id, endpoint, p256dh, auth, created_at FROM push_subscriptions \
             WHERE user_id = ? ORDER BY created_at, id",
        )
        .bind(user.0)
        .fetch_all(&self.reader)
        .await?;
        found.iter().map(push_subscription).collect()
    }

    async fn delete_push_subscription(
        &self,
        endpoint: &str,
        user: Option<UserId>,
    ) -> StoreResult<bool> {
        let deleted = sqlx::query(
            "DELETE FROM push_subscriptions WHERE endpoint = ?1 \
             AND (?2 IS NULL OR user_id = ?2)",
        )
        .bind(endpoint)
        .bind(user.map(|u| u.0))
        .execute(&self.writer)
        .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn digest_recipients(&self, now: OffsetDateTime) -> StoreResult<Vec<DigestRecipient>> {
        let found = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", coalesce(digest_watermark, created_at) AS digest_since FROM users \
             WHERE email IS NOT NULL AND deactivated = 0 \
             AND (dnd_until IS NULL OR dnd_until <= ?) ORDER BY id"
        ))
        .bind(millis(now))
        .fetch_all(&self.reader)
        .await?;
        found
            .iter()
            .map(|row| {
                Ok(DigestRecipient {
                    user: rows::user(row)?,
                    since: from_millis(row.try_get("digest_since")?)?,
                })
            })
            .collect()
    }

    async fn digest_messages(
        &self,
        user: UserId,
        since: OffsetDateTime,
        until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>> {
        // Walks each membership's (room_id, seq) index from the read marker,
        // like the unread counts: the cost is the unread messages.
        let found = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM members mb JOIN rooms r ON r.id = mb.room_id \
             JOIN messages m ON m.room_id = mb.room_id AND m.seq > mb.read_seq \
             WHERE mb.user_id = ?1 AND mb.banned = 0 \
             AND coalesce(mb.notify_level, CASE r.kind WHEN 'dm' THEN 'all' ELSE 'mentions' END) \
                 != 'none' \
             AND m.deleted = 0 AND m.sender_id != ?1 \
             AND m.created_at > ?2 AND m.created_at <= ?3 \
             AND (r.kind = 'dm' OR m.mentions_room = 1 OR EXISTS (SELECT 1 FROM message_mentions mm \
                  WHERE mm.message_id = m.id AND mm.user_id = ?1)) \
             ORDER BY m.created_at, m.row_id LIMIT ?4"
        ))
        .bind(user.0)
        .bind(millis(since))
        .bind(millis(until))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        found.iter().map(rows::message).collect()
    }

    async fn set_digest_watermark(&self, user: UserId, at: OffsetDateTime) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE users SET digest_watermark = ? WHERE id = ?")
            .bind(millis(at))
            .bind(user.0)
            .execute(&self.writer)
            .await?;
        super::found(updated.rows_affected())
    }

    async fn claim_digest(
        &self,
        user: UserId,
        since: OffsetDateTime,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let claimed = sqlx::query(
            "UPDATE users SET digest_watermark = ?1 \
             WHERE id = ?2 AND coalesce(digest_watermark, created_at) = ?3",
        )
        .bind(millis(at))
        .bind(user.0)
        .bind(millis(since))
        .execute(&self.writer)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }
}

fn push_subscription(row: &SqliteRow) -> StoreResult<PushSubscriptionRecord> {
    Ok(PushSubscriptionRecord {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        endpoint: row.try_get("endpoint")?,
        p256dh: row.try_get("p256dh")?,
        auth: row.try_get("auth")?,
        created_at: from_millis(row.try_get("created_at")?)?,
    })
}
