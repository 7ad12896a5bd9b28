//! [`UserStore`](crate::UserStore) written once: accounts and profiles.
//!
//! Usernames are stored lower-cased, so equality on them is case-insensitive;
//! e-mail addresses keep their case and are compared through `lower(email)`,
//! which is also what their unique index covers.

/// Which unique index a failed user insert broke.
pub(crate) const USER_CONFLICTS: &[(&str, &str)] = &[("username", "username"), ("email", "email")];

/// Implements `UserStore` for `$Store` (see the [module docs](super) for
/// what the invoking module provides).
macro_rules! user_store {
    ($Store:ident) => {
        mod user_store {
            use super::*;
            use hearth_protocol::UserId;
            use $crate::error::{StoreError, StoreResult};
            use $crate::records::{NewUser, ProfilePatch, UserRecord};
            use $crate::sql::rows::{self, user_columns};
            use $crate::sql::users::USER_CONFLICTS;
            use $crate::sql::values::{Ids, Time};
            use $crate::sql::{conflict_or, escape_like, found};

            #[async_trait::async_trait]
            impl $crate::traits::UserStore for $Store {
                async fn create_user(&self, new: NewUser) -> StoreResult<UserRecord> {
                    // Registrations go one at a time, so "is this the first
                    // user?" has one answer.
                    let mut tx = self.begin_write().await?;
                    self.lock_registrations(&mut tx).await?;
                    let row = sqlx::query(concat!(
                        "INSERT INTO users (id, username, display_name, email, password_hash, \
                         is_admin, created_at) \
                         SELECT $1, $2, $3, $4, $5, NOT EXISTS (SELECT 1 FROM users), $6 \
                         RETURNING ",
                        user_columns!()
                    ))
                    .bind(new.id.0)
                    .bind(new.username.to_lowercase())
                    .bind(&new.display_name)
                    .bind(&new.email)
                    .bind(&new.password_hash)
                    .bind(Time(new.created_at))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| conflict_or(e, USER_CONFLICTS))?;
                    tx.commit().await?;
                    rows::user(&row)
                }

                async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        user_columns!(),
                        " FROM users WHERE id = $1"
                    ))
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await?;
                    row.as_ref().map(rows::user).transpose()
                }

                async fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>> {
                    // Two indexed lookups (an OR would scan the table); a
                    // username match wins over an e-mail match.
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        user_columns!(),
                        ", 0 AS priority FROM users WHERE username = $1 UNION ALL SELECT ",
                        user_columns!(),
                        ", 1 FROM users WHERE lower(email) = lower($2) ORDER BY priority LIMIT 1"
                    ))
                    .bind(login.to_lowercase())
                    .bind(login)
                    .fetch_optional(self.reader())
                    .await?;
                    row.as_ref().map(rows::user).transpose()
                }

                async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<UserRecord>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        user_columns!(),
                        " FROM users WHERE id IN ",
                        id_set!("$1")
                    ))
                    .bind(Ids::of(ids, |id| id.0))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::user).collect()
                }

                async fn search_users(
                    &self,
                    prefix: &str,
                    limit: u32,
                ) -> StoreResult<Vec<UserRecord>> {
                    let pattern = format!("{}%", escape_like(prefix));
                    let found = sqlx::query(concat!(
                        "SELECT ",
                        user_columns!(),
                        " FROM users WHERE NOT deactivated AND (username ",
                        case_insensitive_like!(),
                        " $1 ESCAPE '\\' OR display_name ",
                        case_insensitive_like!(),
                        " $1 ESCAPE '\\') ORDER BY username",
                        byte_order!(),
                        " LIMIT $2"
                    ))
                    .bind(pattern)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                    found.iter().map(rows::user).collect()
                }

                async fn update_profile(
                    &self,
                    id: UserId,
                    patch: ProfilePatch,
                ) -> StoreResult<UserRecord> {
                    let (set_avatar, avatar) = match patch.avatar {
                        Some(avatar) => (true, avatar.map(|a| a.0)),
                        None => (false, None),
                    };
                    let row = sqlx::query(concat!(
                        "UPDATE users SET display_name = coalesce($1, display_name), \
                         bio = coalesce($2, bio), status_text = coalesce($3, status_text), \
                         avatar = CASE WHEN $4 THEN $5 ELSE avatar END, \
                         time_zone = coalesce($7, time_zone) \
                         WHERE id = $6 RETURNING ",
                        user_columns!()
                    ))
                    .bind(patch.display_name)
                    .bind(patch.bio)
                    .bind(patch.status_text)
                    .bind(set_avatar)
                    .bind(avatar)
                    .bind(id.0)
                    .bind(patch.time_zone)
                    .fetch_optional(self.writer())
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                    rows::user(&row)
                }

                async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
                    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(hash)
                        .bind(id.0)
                        .execute(self.writer())
                        .await?;
                    found(done.rows_affected(), "user")
                }

                async fn set_admin(&self, id: UserId, is_admin: bool) -> StoreResult<()> {
                    let done = sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
                        .bind(is_admin)
                        .bind(id.0)
                        .execute(self.writer())
                        .await?;
                    found(done.rows_affected(), "user")
                }
            }
        }
    };
}
pub(crate) use user_store;
