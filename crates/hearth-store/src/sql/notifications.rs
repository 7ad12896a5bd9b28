//! [`NotificationStore`](crate::NotificationStore) written once: members'
//! notification levels, users' do-not-disturb, Web Push subscriptions and
//! e-mail digest bookkeeping.

/// `SELECT` of the members of room `$1` (not banned) who chose `$level`.
/// The level is spelt out, not bound, so that the partial index on `'all'`
/// applies (SQLite cannot match a bound parameter against an index's WHERE).
macro_rules! members_with_level {
    ($level:literal) => {
        concat!(
            "SELECT user_id FROM members WHERE room_id = $1 AND notify_level = '",
            $level,
            "' AND NOT banned ORDER BY user_id"
        )
    };
}
pub(crate) use members_with_level;

/// Implements `NotificationStore` for `$Store` (see the [module docs](super)
/// for what the invoking module provides).
macro_rules! notification_store {
    ($Store:ident) => {
        mod notification_store {
            use super::*;
            use $crate::error::{StoreError, StoreResult};
            use $crate::records::{
                DigestRecipient, MemberRecord, MessageRecord, PushSubscriptionRecord, UserRecord,
            };
            use $crate::sql::found;
            use $crate::sql::notifications::members_with_level;
            use $crate::sql::rows::{self, RecordRow, member_columns, user_columns};
            use $crate::sql::values::Time;
            use hearth_protocol::notifications::NotifyLevel;
            use hearth_protocol::{RoomId, UserId};
            use time::OffsetDateTime;
            use uuid::Uuid;

            #[async_trait::async_trait]
            impl $crate::traits::NotificationStore for $Store {
                async fn set_notify_level(
                    &self,
                    room: RoomId,
                    user: UserId,
                    level: Option<NotifyLevel>,
                ) -> StoreResult<MemberRecord> {
                    let row = sqlx::query(concat!(
                        "UPDATE members SET notify_level = $1 WHERE room_id = $2 \
                         AND user_id = $3 AND NOT banned RETURNING ",
                        member_columns!()
                    ))
                    .bind(level.map(NotifyLevel::as_str))
                    .bind(room.0)
                    .bind(user.0)
                    .fetch_optional(self.writer())
                    .await?
                    .ok_or(StoreError::NotFound("member"))?;
                    rows::member(&row)
                }

                async fn members_with_notify_level(
                    &self,
                    room: RoomId,
                    level: NotifyLevel,
                ) -> StoreResult<Vec<UserId>> {
                    let sql = match level {
                        NotifyLevel::All => members_with_level!("all"),
                        NotifyLevel::Mentions => members_with_level!("mentions"),
                        NotifyLevel::None => members_with_level!("none"),
                    };
                    let ids: Vec<Uuid> = sqlx::query_scalar(sql)
                        .bind(room.0)
                        .fetch_all(self.reader())
                        .await?;
                    Ok(ids.into_iter().map(UserId).collect())
                }

                async fn set_dnd_until(
                    &self,
                    user: UserId,
                    until: Option<OffsetDateTime>,
                ) -> StoreResult<UserRecord> {
                    let row = sqlx::query(concat!(
                        "UPDATE users SET dnd_until = $1 WHERE id = $2 RETURNING ",
                        user_columns!()
                    ))
                    .bind(until.map(Time))
                    .bind(user.0)
                    .fetch_optional(self.writer())
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                    rows::user(&row)
                }

                async fn upsert_push_subscription(
                    &self,
                    sub: &PushSubscriptionRecord,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO push_subscriptions (id, user_id, session_id, endpoint, \
                         p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, \
                         session_id = excluded.session_id, p256dh = excluded.p256dh, \
                         auth = excluded.auth",
                    )
                    .bind(sub.id)
                    .bind(sub.user_id.0)
                    .bind(sub.session_id.map(|s| s.0))
                    .bind(&sub.endpoint)
                    .bind(&sub.p256dh)
                    .bind(&sub.auth)
                    .bind(Time(sub.created_at))
                    .execute(self.writer())
                    .await?;
                    Ok(())
                }

                async fn push_subscriptions(
                    &self,
                    user: UserId,
                    now: OffsetDateTime,
                ) -> StoreResult<Vec<PushSubscriptionRecord>> {
                    // A revoked session's subscriptions are deleted with it;
                    // an expired one's are skipped here.
                    let found = sqlx::query(
                        "SELECT p.id, p.user_id, p.session_id, p.endpoint, p.p256dh, p.auth, \
                         p.created_at FROM push_subscriptions p \
                         JOIN sessions s ON s.id = p.session_id \
                         WHERE p.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
                         ORDER BY p.created_at, p.id",
                    )
                    .bind(user.0)
                    .bind(Time(now))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::push_subscription).collect()
                }

                async fn delete_push_subscription(
                    &self,
                    endpoint: &str,
                    user: Option<UserId>,
                ) -> StoreResult<bool> {
                    let deleted = sqlx::query(
                        "DELETE FROM push_subscriptions WHERE endpoint = $1 \
                         AND ($2 OR user_id = $3)",
                    )
                    .bind(endpoint)
                    .bind(user.is_none())
                    .bind(user.map(|u| u.0))
                    .execute(self.writer())
                    .await?;
                    Ok(deleted.rows_affected() > 0)
                }

                async fn digest_recipients(
                    &self,
                    now: OffsetDateTime,
                ) -> StoreResult<Vec<DigestRecipient>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        user_columns!(),
                        ", coalesce(digest_watermark, created_at) AS digest_since FROM users \
                         WHERE email IS NOT NULL AND NOT deactivated \
                         AND (dnd_until IS NULL OR dnd_until <= $1) ORDER BY id"
                    ))
                    .bind(Time(now))
                    .fetch_all(self.reader())
                    .await?;
                    found
                        .iter()
                        .map(|row| {
                            Ok(DigestRecipient {
                                user: rows::user(row)?,
                                since: row.time("digest_since")?,
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
                    // Walks each membership's (room_id, seq) index from the
                    // read marker, like the unread counts: the cost is the
                    // unread messages.
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM members mb JOIN rooms r ON r.id = mb.room_id \
                         JOIN messages m ON m.room_id = mb.room_id AND m.seq > mb.read_seq \
                         WHERE mb.user_id = $1 AND NOT mb.banned \
                         AND coalesce(mb.notify_level, \
                                      CASE r.kind WHEN 'dm' THEN 'all' ELSE 'mentions' END) \
                             <> 'none' \
                         AND NOT m.deleted AND m.sender_id <> $1 \
                         AND m.created_at > $2 AND m.created_at <= $3 \
                         AND (r.kind = 'dm' OR m.mentions_room \
                              OR EXISTS (SELECT 1 FROM message_mentions mm \
                                         WHERE mm.message_id = m.id AND mm.user_id = $1)) \
                         ORDER BY m.created_at, m.row_id LIMIT $4"
                    ))
                    .bind(user.0)
                    .bind(Time(since))
                    .bind(Time(until))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::message).collect()
                }

                async fn set_digest_watermark(
                    &self,
                    user: UserId,
                    at: OffsetDateTime,
                ) -> StoreResult<()> {
                    let updated =
                        sqlx::query("UPDATE users SET digest_watermark = $1 WHERE id = $2")
                            .bind(Time(at))
                            .bind(user.0)
                            .execute(self.writer())
                            .await?;
                    found(updated.rows_affected(), "user")
                }

                async fn claim_digest(
                    &self,
                    user: UserId,
                    since: OffsetDateTime,
                    at: OffsetDateTime,
                ) -> StoreResult<bool> {
                    let claimed = sqlx::query(
                        "UPDATE users SET digest_watermark = $1 \
                         WHERE id = $2 AND coalesce(digest_watermark, created_at) = $3",
                    )
                    .bind(Time(at))
                    .bind(user.0)
                    .bind(Time(since))
                    .execute(self.writer())
                    .await?;
                    Ok(claimed.rows_affected() == 1)
                }
            }
        }
    };
}
pub(crate) use notification_store;
