//! [`SecurityStore`](crate::SecurityStore) written once: two-factor state on
//! the `users` row, `recovery_codes`, `email_tokens`, and the end of an
//! account.
//!
//! The read-then-write methods lock the rows they read (`for_update!`), so
//! two PostgreSQL nodes handling the same account cannot interleave; SQLite's
//! write transaction already excludes every other writer.

pub(crate) const TOKEN_CONFLICTS: &[(&str, &str)] = &[("email_tokens", "email token")];

/// Implements `SecurityStore` for `$Store` (see the [module docs](super) for
/// what the invoking module provides).
macro_rules! security_store {
    ($Store:ident) => {
        mod security_store {
            use super::*;
            use $crate::error::{StoreError, StoreResult};
            use $crate::records::{
                EmailTokenPurpose, EmailTokenRecord, NewEmailToken, TotpState, UserRecord,
            };
            use $crate::sql::rows::{self, RecordRow, user_columns};
            use $crate::sql::security::TOKEN_CONFLICTS;
            use $crate::sql::values::Time;
            use $crate::sql::{conflict_or, found};
            use hearth_protocol::UserId;
            use time::OffsetDateTime;

            #[async_trait::async_trait]
            impl $crate::traits::SecurityStore for $Store {
                async fn totp_state(&self, user: UserId) -> StoreResult<Option<TotpState>> {
                    let Some(row) = sqlx::query(
                        "SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1",
                    )
                    .bind(user.0)
                    .fetch_optional(self.reader())
                    .await?
                    else {
                        return Ok(None);
                    };
                    Ok(Some(TotpState {
                        secret: row.opt_text("totp_secret")?,
                        enabled: row.flag("totp_enabled")?,
                        last_step: row.opt_int("totp_last_step")?,
                    }))
                }

                async fn set_pending_totp(
                    &self,
                    user: UserId,
                    sealed_secret: &str,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let enabled: bool = sqlx::query_scalar(concat!(
                        "SELECT totp_enabled FROM users WHERE id = $1",
                        for_update!()
                    ))
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                    if enabled {
                        return Err(StoreError::Conflict("totp"));
                    }
                    sqlx::query(
                        "UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2",
                    )
                    .bind(sealed_secret)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn enable_totp(
                    &self,
                    user: UserId,
                    step: i64,
                    recovery_hashes: &[String],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(concat!(
                        "SELECT totp_secret, totp_enabled FROM users WHERE id = $1",
                        for_update!()
                    ))
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                    if row.flag("totp_enabled")? {
                        return Err(StoreError::Conflict("totp"));
                    }
                    if row.opt_text("totp_secret")?.is_none() {
                        return Err(StoreError::NotFound("totp secret"));
                    }
                    sqlx::query(
                        "UPDATE users SET totp_enabled = TRUE, totp_last_step = $1 WHERE id = $2",
                    )
                    .bind(step)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await?;
                    for hash in recovery_hashes {
                        // A duplicate in the list is one code, not an error.
                        sqlx::query(
                            "INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(user.0)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn disable_totp(&self, user: UserId) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(
                        "UPDATE users SET totp_secret = NULL, totp_enabled = FALSE, \
                         totp_last_step = NULL WHERE id = $1",
                    )
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                    found(done.rows_affected(), "user")?;
                    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn claim_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
                    // One conditional update: two logins racing with the same
                    // code cannot both see the step as unused.
                    let done = sqlx::query(
                        "UPDATE users SET totp_last_step = $1 \
                         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
                    )
                    .bind(step)
                    .bind(user.0)
                    .execute(self.writer())
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn use_recovery_code(
                    &self,
                    user: UserId,
                    hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE recovery_codes SET used_at = $1 \
                         WHERE user_id = $2 AND hash = $3 AND used_at IS NULL",
                    )
                    .bind(Time(now))
                    .bind(user.0)
                    .bind(hash)
                    .execute(self.writer())
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn recovery_codes_left(&self, user: UserId) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar(
                        "SELECT count(*) FROM recovery_codes \
                         WHERE user_id = $1 AND used_at IS NULL",
                    )
                    .bind(user.0)
                    .fetch_one(self.reader())
                    .await?)
                }

                async fn insert_email_token(&self, new: NewEmailToken) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO email_tokens (hash, user_id, purpose, email, created_at, \
                         expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&new.hash)
                    .bind(new.user_id.0)
                    .bind(new.purpose.as_str())
                    .bind(&new.email)
                    .bind(Time(new.created_at))
                    .bind(Time(new.expires_at))
                    .execute(self.writer())
                    .await
                    .map_err(|e| conflict_or(e, TOKEN_CONFLICTS))?;
                    Ok(())
                }

                async fn count_email_tokens_since(
                    &self,
                    user: UserId,
                    purpose: EmailTokenPurpose,
                    since: OffsetDateTime,
                ) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar(
                        "SELECT count(*) FROM email_tokens \
                         WHERE user_id = $1 AND purpose = $2 AND created_at >= $3",
                    )
                    .bind(user.0)
                    .bind(purpose.as_str())
                    .bind(Time(since))
                    .fetch_one(self.reader())
                    .await?)
                }

                async fn email_token(
                    &self,
                    hash: &str,
                    purpose: EmailTokenPurpose,
                ) -> StoreResult<Option<EmailTokenRecord>> {
                    sqlx::query(
                        "SELECT hash, user_id, purpose, email, created_at, expires_at, used_at \
                         FROM email_tokens WHERE hash = $1 AND purpose = $2",
                    )
                    .bind(hash)
                    .bind(purpose.as_str())
                    .fetch_optional(self.reader())
                    .await?
                    .map(|row| rows::email_token(&row))
                    .transpose()
                }

                async fn consume_email_token(
                    &self,
                    hash: &str,
                    purpose: EmailTokenPurpose,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<EmailTokenRecord>> {
                    let mut tx = self.begin_write().await?;
                    let Some(row) = sqlx::query(concat!(
                        "SELECT hash, user_id, purpose, email, created_at, expires_at, used_at \
                         FROM email_tokens WHERE hash = $1 AND purpose = $2",
                        for_update!()
                    ))
                    .bind(hash)
                    .bind(purpose.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    else {
                        return Ok(None);
                    };
                    let token = rows::email_token(&row)?;
                    if token.used || token.expires_at <= now {
                        return Ok(None);
                    }
                    // The older links of the same user and purpose die with it.
                    sqlx::query(
                        "UPDATE email_tokens SET used_at = $1 \
                         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
                    )
                    .bind(Time(now))
                    .bind(token.user_id.0)
                    .bind(purpose.as_str())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Some(EmailTokenRecord {
                        used: true,
                        ..token
                    }))
                }

                async fn latest_email_token_address(
                    &self,
                    user: UserId,
                    purpose: EmailTokenPurpose,
                ) -> StoreResult<Option<String>> {
                    let row = sqlx::query(
                        "SELECT email FROM email_tokens WHERE user_id = $1 AND purpose = $2 \
                         ORDER BY created_at DESC LIMIT 1",
                    )
                    .bind(user.0)
                    .bind(purpose.as_str())
                    .fetch_optional(self.reader())
                    .await?;
                    row.map(|row| row.text("email")).transpose()
                }

                async fn attach_verified_email(
                    &self,
                    user: UserId,
                    email: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query(
                        "UPDATE users SET email = $2, email_verified = TRUE \
                         WHERE id = $1 AND NOT deactivated",
                    )
                    .bind(user.0)
                    .bind(email)
                    .execute(self.writer())
                    .await
                    .map_err(|e| conflict_or(e, $crate::sql::users::USER_CONFLICTS))?;
                    found(done.rows_affected(), "user")
                }

                async fn mark_email_verified(
                    &self,
                    user: UserId,
                    email: &str,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE users SET email_verified = TRUE \
                         WHERE id = $1 AND lower(email) = lower($2)",
                    )
                    .bind(user.0)
                    .bind(email)
                    .execute(self.writer())
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_deactivated(
                    &self,
                    user: UserId,
                    deactivated: bool,
                ) -> StoreResult<()> {
                    let done = sqlx::query("UPDATE users SET deactivated = $1 WHERE id = $2")
                        .bind(deactivated)
                        .bind(user.0)
                        .execute(self.writer())
                        .await?;
                    found(done.rows_affected(), "user")
                }

                async fn scrub_user(&self, user: UserId) -> StoreResult<UserRecord> {
                    let mut tx = self.begin_write().await?;
                    // An empty password hash is no PHC string: no password
                    // matches it.
                    let row = sqlx::query(concat!(
                        "UPDATE users SET deactivated = TRUE, display_name = 'deleted user', \
                         bio = '', status_text = '', time_zone = '', avatar = NULL, email = NULL, \
                         email_verified = FALSE, password_hash = '', totp_secret = NULL, \
                         totp_enabled = FALSE, totp_last_step = NULL WHERE id = $1 RETURNING ",
                        user_columns!()
                    ))
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                    for sql in [
                        "DELETE FROM recovery_codes WHERE user_id = $1",
                        "DELETE FROM email_tokens WHERE user_id = $1",
                    ] {
                        sqlx::query(sql).bind(user.0).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    rows::user(&row)
                }
            }
        }
    };
}
pub(crate) use security_store;
