//! [`SessionStore`] for PostgreSQL: login sessions and their rotating refresh
//! tokens.
//!
//! A session's refresh tokens form a chain in `refresh_tokens`: exactly one is
//! current (`spent_at IS NULL`) while the session lives; spent ones are kept
//! so that replaying one is recognised as theft. Rotation locks the token's
//! row (`FOR UPDATE`), so two nodes presenting the same token at once cannot
//! both rotate it: the second sees it spent.

use super::rows::{self, session_columns};
use super::{PgStore, conflict_or, found};
use crate::error::StoreResult;
use crate::records::{NewSession, RefreshOutcome, SessionRecord};
use crate::traits::SessionStore;
use async_trait::async_trait;
use hearth_protocol::{SessionId, UserId};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

const TOKEN_CONFLICTS: &[(&str, &str)] = &[("refresh_tokens_unique_hash", "refresh token")];

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, new: NewSession) -> StoreResult<SessionRecord> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(concat!(
            "INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_active_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING ",
            session_columns!()
        ))
        .bind(new.id.0)
        .bind(new.user_id.0)
        .bind(&new.user_agent)
        .bind(&new.ip)
        .bind(new.created_at)
        .bind(new.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&new.refresh_hash)
        .bind(new.id.0)
        .bind(new.created_at)
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
        let mut tx = self.begin().await?;
        let Some(token) = sqlx::query(
            "SELECT session_id, spent_at FROM refresh_tokens WHERE hash = $1 FOR UPDATE",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(RefreshOutcome::Invalid);
        };
        let session_id: Uuid = token.try_get("session_id")?;
        let spent = token
            .try_get::<Option<OffsetDateTime>, _>("spent_at")?
            .is_some();

        let session = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id = $1 FOR UPDATE"
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
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused(SessionRecord {
                revoked: true,
                ..session
            }));
        }

        sqlx::query("UPDATE refresh_tokens SET spent_at = $1 WHERE hash = $2")
            .bind(now)
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(new_hash)
        .bind(session_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(e, TOKEN_CONFLICTS))?;
        let row = sqlx::query(concat!(
            "UPDATE sessions SET expires_at = $1, last_active_at = greatest(last_active_at, $2) \
             WHERE id = $3 RETURNING ",
            session_columns!()
        ))
        .bind(expires_at)
        .bind(now)
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RefreshOutcome::Rotated(rows::session(&row)?))
    }

    async fn revoke_session_by_refresh(&self, hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "UPDATE sessions SET revoked_at = coalesce(revoked_at, $1) \
             WHERE id = (SELECT session_id FROM refresh_tokens WHERE hash = $2) RETURNING ",
            session_columns!()
        ))
        .bind(OffsetDateTime::now_utc())
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn session_by_id(&self, id: SessionId) -> StoreResult<SessionRecord> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_one(&self.pool)
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
            " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(user.0)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::session).collect()
    }

    async fn revoke_session(&self, id: SessionId) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE sessions SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2")
                .bind(OffsetDateTime::now_utc())
                .bind(id.0)
                .execute(&self.pool)
                .await?;
        found(done.rows_affected())
    }

    async fn revoke_user_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
    ) -> StoreResult<Vec<SessionId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $1 \
             WHERE user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3 RETURNING id",
        )
        .bind(OffsetDateTime::now_utc())
        .bind(user.0)
        .bind(except.map(|id| id.0))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(SessionId).collect())
    }

    async fn touch_sessions(&self, ids: &[SessionId], now: OffsetDateTime) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
        // greatest(): a late, out-of-order touch must not move the clock back.
        sqlx::query(
            "UPDATE sessions SET last_active_at = greatest(last_active_at, $1) \
             WHERE id = ANY($2)",
        )
        .bind(now)
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
