//! [`SessionStore`](crate::SessionStore) written once: login sessions and
//! their rotating refresh tokens.
//!
//! A session's refresh tokens form a chain in `refresh_tokens`: exactly one is
//! current (`spent_at IS NULL`) while the session lives; spent ones are kept
//! so that replaying one is recognised as theft. Rotation locks the token's
//! and the session's rows (`for_update!`: PostgreSQL's row locks; SQLite's
//! write transaction already excludes every other writer), so two nodes
//! presenting the same token at once cannot both rotate it.

pub(crate) const TOKEN_CONFLICTS: &[(&str, &str)] = &[("refresh_tokens", "refresh token")];

/// Implements `SessionStore` for `$Store` (see the [module docs](super) for
/// what the invoking module provides).
macro_rules! session_store {
    ($Store:ident) => {
        mod session_store {
            use super::*;
            use $crate::error::StoreResult;
            use $crate::records::{NewSession, RefreshOutcome, SessionRecord, SessionRevocation};
            use $crate::sql::rows::{self, RecordRow, session_columns};
            use $crate::sql::sessions::TOKEN_CONFLICTS;
            use $crate::sql::values::{Ids, Time};
            use $crate::sql::{conflict_or, found};
            use hearth_protocol::{SessionId, UserId};
            use time::OffsetDateTime;
            use uuid::Uuid;

            const INSERT_TOKEN: &str =
                "INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES ($1, $2, $3)";

            #[async_trait::async_trait]
            impl $crate::traits::SessionStore for $Store {
                async fn create_session(&self, new: NewSession) -> StoreResult<SessionRecord> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(concat!(
                        "INSERT INTO sessions (id, user_id, user_agent, ip, created_at, \
                         last_active_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6) \
                         RETURNING ",
                        session_columns!()
                    ))
                    .bind(new.id.0)
                    .bind(new.user_id.0)
                    .bind(&new.user_agent)
                    .bind(&new.ip)
                    .bind(Time(new.created_at))
                    .bind(Time(new.expires_at))
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query(INSERT_TOKEN)
                        .bind(&new.refresh_hash)
                        .bind(new.id.0)
                        .bind(Time(new.created_at))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| conflict_or(e, TOKEN_CONFLICTS))?;
                    tx.commit().await?;
                    rows::session(&row)
                }

                async fn refresh_token_known(&self, hash: &str) -> StoreResult<bool> {
                    let row = sqlx::query("SELECT 1 AS known FROM refresh_tokens WHERE hash = $1")
                        .bind(hash)
                        .fetch_optional(self.reader())
                        .await?;
                    Ok(row.is_some())
                }

                async fn rotate_refresh_token(
                    &self,
                    old_hash: &str,
                    new_hash: &str,
                    now: OffsetDateTime,
                    expires_at: OffsetDateTime,
                ) -> StoreResult<RefreshOutcome> {
                    let mut tx = self.begin_write().await?;
                    let Some(token) = sqlx::query(concat!(
                        "SELECT session_id, spent_at FROM refresh_tokens WHERE hash = $1",
                        for_update!()
                    ))
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?
                    else {
                        return Ok(RefreshOutcome::Invalid);
                    };
                    let session_id: Uuid = token.id("session_id")?;
                    let spent = token.opt_time("spent_at")?.is_some();

                    let session = sqlx::query(concat!(
                        "SELECT ",
                        session_columns!(),
                        " FROM sessions WHERE id = $1",
                        for_update!()
                    ))
                    .bind(session_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    let session = rows::session(&session)?;
                    if session.revoked || session.expires_at <= now {
                        return Ok(RefreshOutcome::Invalid);
                    }

                    if spent {
                        // Someone holds a token that was already exchanged:
                        // either the client or a thief has the newer one,
                        // and we cannot tell which.
                        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2")
                            .bind(Time(now))
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
                        .bind(Time(now))
                        .bind(old_hash)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_TOKEN)
                        .bind(new_hash)
                        .bind(session_id)
                        .bind(Time(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| conflict_or(e, TOKEN_CONFLICTS))?;
                    let row = sqlx::query(concat!(
                        "UPDATE sessions SET expires_at = $1, last_active_at = ",
                        greatest!(),
                        "(last_active_at, $2) WHERE id = $3 RETURNING ",
                        session_columns!()
                    ))
                    .bind(Time(expires_at))
                    .bind(Time(now))
                    .bind(session_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(RefreshOutcome::Rotated(rows::session(&row)?))
                }

                async fn revoke_session_by_refresh(
                    &self,
                    hash: &str,
                ) -> StoreResult<Option<SessionRecord>> {
                    let row = sqlx::query(concat!(
                        "UPDATE sessions SET revoked_at = coalesce(revoked_at, $1) \
                         WHERE id = (SELECT session_id FROM refresh_tokens WHERE hash = $2) \
                         RETURNING ",
                        session_columns!()
                    ))
                    .bind(Time(OffsetDateTime::now_utc()))
                    .bind(hash)
                    .fetch_optional(self.writer())
                    .await?;
                    row.as_ref().map(rows::session).transpose()
                }

                async fn session_by_id(
                    &self,
                    id: SessionId,
                ) -> StoreResult<Option<SessionRecord>> {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        session_columns!(),
                        " FROM sessions WHERE id = $1"
                    ))
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await?;
                    row.as_ref().map(rows::session).transpose()
                }

                async fn list_sessions(
                    &self,
                    user: UserId,
                    now: OffsetDateTime,
                ) -> StoreResult<Vec<SessionRecord>> {
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        session_columns!(),
                        " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL \
                         AND expires_at > $2 ORDER BY created_at DESC, id DESC"
                    ))
                    .bind(user.0)
                    .bind(Time(now))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::session).collect()
                }

                async fn revoke_session(&self, id: SessionId) -> StoreResult<()> {
                    let done = sqlx::query(
                        "UPDATE sessions SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2",
                    )
                    .bind(Time(OffsetDateTime::now_utc()))
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                    found(done.rows_affected(), "session")
                }

                async fn revoke_user_sessions(
                    &self,
                    user: UserId,
                    except: Option<SessionId>,
                ) -> StoreResult<Vec<SessionId>> {
                    // `IS DISTINCT FROM NULL` holds for every id.
                    let ids: Vec<Uuid> = sqlx::query_scalar(
                        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 \
                         AND revoked_at IS NULL AND id IS DISTINCT FROM $3 RETURNING id",
                    )
                    .bind(Time(OffsetDateTime::now_utc()))
                    .bind(user.0)
                    .bind(except.map(|id| id.0))
                    .fetch_all(self.writer())
                    .await?;
                    Ok(ids.into_iter().map(SessionId).collect())
                }

                async fn touch_sessions(
                    &self,
                    ids: &[SessionId],
                    now: OffsetDateTime,
                ) -> StoreResult<()> {
                    if ids.is_empty() {
                        return Ok(());
                    }
                    // A late, out-of-order touch must not move the clock back.
                    sqlx::query(concat!(
                        "UPDATE sessions SET last_active_at = ",
                        greatest!(),
                        "(last_active_at, $1) WHERE id IN ",
                        id_set!("$2")
                    ))
                    .bind(Time(now))
                    .bind(Ids::of(ids, |id| id.0))
                    .execute(self.writer())
                    .await?;
                    Ok(())
                }

                async fn session_revocations(
                    &self,
                    after_seq: i64,
                    since: OffsetDateTime,
                ) -> StoreResult<Vec<SessionRevocation>> {
                    let found = sqlx::query(
                        "SELECT seq, session_id, user_id, revoked_at FROM session_revocations \
                         WHERE seq > $1 AND revoked_at > $2 ORDER BY seq",
                    )
                    .bind(after_seq)
                    .bind(Time(since))
                    .fetch_all(self.reader())
                    .await?;
                    found
                        .iter()
                        .map(|row| {
                            Ok(SessionRevocation {
                                seq: row.int("seq")?,
                                session_id: SessionId(row.id("session_id")?),
                                user_id: UserId(row.id("user_id")?),
                                revoked_at: row.time("revoked_at")?,
                            })
                        })
                        .collect()
                }

                async fn prune_session_revocations(
                    &self,
                    before: OffsetDateTime,
                ) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM session_revocations WHERE revoked_at < $1")
                        .bind(Time(before))
                        .execute(self.writer())
                        .await?;
                    Ok(done.rows_affected())
                }

                async fn live_sessions(
                    &self,
                    ids: &[SessionId],
                    now: OffsetDateTime,
                ) -> StoreResult<Vec<SessionId>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let live: Vec<Uuid> = sqlx::query_scalar(concat!(
                        "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id \
                         WHERE s.revoked_at IS NULL AND s.expires_at > $1 \
                         AND NOT u.deactivated AND s.id IN ",
                        id_set!("$2")
                    ))
                    .bind(Time(now))
                    .bind(Ids::of(ids, |id| id.0))
                    .fetch_all(self.reader())
                    .await?;
                    Ok(live.into_iter().map(SessionId).collect())
                }
            }
        }
    };
}
pub(crate) use session_store;
