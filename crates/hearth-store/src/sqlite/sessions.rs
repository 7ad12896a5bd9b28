//! [`SessionStore`] for SQLite: login sessions and their rotating refresh
//! tokens.
//!
//! A session's refresh tokens form a chain in `refresh_tokens`: exactly one is
//! current (`spent_at IS NULL`) while the session lives; spent ones are kept
//! so that replaying one is recognised as theft.

use super::rows::{self, prefixed_user_columns, session_columns};
use super::{SqliteStore, conflict_or, found, millis};
use crate::error::StoreResult;
use crate::records::{NewSession, RefreshOutcome, SessionRecord, UserRecord};
use crate::traits::SessionStore;
use async_trait::async_trait;
use hearth_protocol::{SessionId, UserId};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

const TOKEN_CONFLICTS: &[(&str, &str)] = &[("refresh_tokens.hash", "refresh token")];

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: NewSession) -> StoreResult<SessionRecord> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_active_at, \
             expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) RETURNING ",
            session_columns!()
        ))
        .bind(new.id.0)
        .bind(new.user_id.0)
        .bind(&new.user_agent)
        .bind(&new.ip)
        .bind(millis(new.created_at))
        .bind(millis(new.expires_at))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)")
            .bind(&new.refresh_hash)
            .bind(new.id.0)
            .bind(millis(new.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, TOKEN_CONFLICTS))?;
        tx.commit().await?;
        rows::session(&row)
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<RefreshOutcome> {
        let mut tx = self.begin_write().await?;
        let Some(token) =
            sqlx::query("SELECT session_id, spent_at FROM refresh_tokens WHERE hash = ?")
                .bind(old_hash)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(RefreshOutcome::Invalid);
        };
        let session_id: Uuid = token.try_get("session_id")?;
        let spent = token.try_get::<Option<i64>, _>("spent_at")?.is_some();

        let session = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id = ?"
        ))
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        let session = rows::session(&session)?;
        if session.revoked || session.expires_at <= now {
            return Ok(RefreshOutcome::Invalid);
        }

        if spent {
            // Someone holds a token that was already exchanged: either the
            // client or a thief has the newer one, and we cannot tell which.
            sqlx::query("UPDATE sessions SET revoked_at = ? WHERE id = ?")
                .bind(millis(now))
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused(SessionRecord {
                revoked: true,
                ..session
            }));
        }

        sqlx::query("UPDATE refresh_tokens SET spent_at = ? WHERE hash = ?")
            .bind(millis(now))
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)")
            .bind(new_hash)
            .bind(session_id)
            .bind(millis(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, TOKEN_CONFLICTS))?;
        let row = sqlx::query(concat!(
            "UPDATE sessions SET expires_at = ?, last_active_at = max(last_active_at, ?) \
             WHERE id = ? RETURNING ",
            session_columns!()
        ))
        .bind(millis(expires_at))
        .bind(millis(now))
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RefreshOutcome::Rotated(rows::session(&row)?))
    }

    async fn revoke_session_by_refresh(&self, hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "UPDATE sessions SET revoked_at = coalesce(revoked_at, ?) \
             WHERE id = (SELECT session_id FROM refresh_tokens WHERE hash = ?) RETURNING ",
            session_columns!()
        ))
        .bind(millis(OffsetDateTime::now_utc()))
        .bind(hash)
        .fetch_optional(&self.writer)
        .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn session_by_id(&self, id: SessionId) -> StoreResult<SessionRecord> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id = ?"
        ))
        .bind(id.0)
        .fetch_one(&self.reader)
        .await?;
        rows::session(&row)
    }

    async fn list_sessions(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(user.0)
        .bind(millis(now))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::session).collect()
    }

    async fn revoke_session(&self, id: SessionId) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE sessions SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?")
                .bind(millis(OffsetDateTime::now_utc()))
                .bind(id.0)
                .execute(&self.writer)
                .await?;
        found(done.rows_affected())
    }

    async fn revoke_user_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
    ) -> StoreResult<Vec<SessionId>> {
        // `id IS NOT ?` is true for every id when `except` is NULL.
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = ? \
             WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ? RETURNING id",
        )
        .bind(millis(OffsetDateTime::now_utc()))
        .bind(user.0)
        .bind(except.map(|id| id.0))
        .fetch_all(&self.writer)
        .await?;
        Ok(ids.into_iter().map(SessionId).collect())
    }

    async fn touch_sessions(&self, ids: &[SessionId], now: OffsetDateTime) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let hex: Vec<String> = ids.iter().map(|id| id.0.simple().to_string()).collect();
        // max(): a late, out-of-order touch must not move the clock back.
        sqlx::query(
            "UPDATE sessions SET last_active_at = max(last_active_at, ?1) \
             WHERE id IN (SELECT unhex(value) FROM json_each(?2))",
        )
        .bind(millis(now))
        .bind(serde_json::Value::from(hex).to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

/// [`Store::session_with_user`](crate::Store::session_with_user) in one
/// query (the user's columns prefixed: both tables have `id`).
pub(super) async fn session_with_user(
    store: &SqliteStore,
    id: SessionId,
) -> StoreResult<(SessionRecord, UserRecord)> {
    let row = sqlx::query(concat!(
        "SELECT ",
        session_columns!(),
        ", u.* FROM sessions JOIN (SELECT ",
        prefixed_user_columns!(),
        " FROM users) AS u ON u.u_id = sessions.user_id WHERE sessions.id = ?"
    ))
    .bind(id.0)
    .fetch_one(&store.reader)
    .await?;
    Ok((rows::session(&row)?, rows::prefixed_user(&row)?))
}
