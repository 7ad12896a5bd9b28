//! [`UserStore`] for SQLite: accounts and profiles.
//!
//! Usernames are stored lower-cased, so equality on them is case-insensitive;
//! e-mail addresses keep their case and are compared through `lower(email)`,
//! which is also what their unique index covers.

use super::rows::{self, user_columns};
use super::{IN_LIST_CHUNK, SqliteStore, conflict_or, found, millis, push_id_list};
use crate::error::{StoreError, StoreResult};
use crate::records::{NewUser, ProfilePatch, UserRecord};
use crate::traits::UserStore;
use async_trait::async_trait;
use hearth_protocol::UserId;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

/// Which unique index a failed user insert broke.
const USER_CONFLICTS: &[(&str, &str)] = &[("username", "username"), ("email", "email")];

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<UserRecord> {
        // One statement, on the one writer connection: "is this the first
        // user?" and the insert cannot interleave with another registration.
        let row = sqlx::query(concat!(
            "INSERT INTO users (id, username, display_name, email, password_hash, is_admin, \
             created_at) SELECT ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM users), ? RETURNING ",
            user_columns!()
        ))
        .bind(new.id.0)
        .bind(new.username.to_lowercase())
        .bind(&new.display_name)
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(millis(new.created_at))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| conflict_or(e, USER_CONFLICTS))?;
        rows::user(&row)
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<UserRecord> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = ?"
        ))
        .bind(id.0)
        .fetch_one(&self.reader)
        .await?;
        rows::user(&row)
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<UserRecord> {
        // Two indexed lookups (an OR would scan the table); a username match
        // wins over an e-mail match, should both exist.
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", 0 AS priority FROM users WHERE username = ?1 UNION ALL SELECT ",
            user_columns!(),
            ", 1 FROM users WHERE lower(email) = lower(?2) ORDER BY priority LIMIT 1"
        ))
        .bind(login.to_lowercase())
        .bind(login)
        .fetch_one(&self.reader)
        .await?;
        rows::user(&row)
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<UserRecord>> {
        let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id IN "
            ));
            push_id_list(&mut query, chunk);
            for row in query.build().fetch_all(&self.reader).await? {
                users.push(rows::user(&row)?);
            }
        }
        Ok(users)
    }

    async fn search_users(&self, prefix: &str, limit: u32) -> StoreResult<Vec<UserRecord>> {
        let pattern = format!("{}%", escape_like(prefix));
        // LIKE is case-insensitive for ASCII, which is what usernames are.
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE deactivated = 0 \
             AND (username LIKE ?1 ESCAPE '\\' OR display_name LIKE ?1 ESCAPE '\\') \
             ORDER BY username LIMIT ?2"
        ))
        .bind(pattern)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::user).collect()
    }

    async fn update_profile(&self, id: UserId, patch: ProfilePatch) -> StoreResult<UserRecord> {
        let (set_avatar, avatar) = match patch.avatar {
            Some(avatar) => (true, avatar.map(|a| a.0)),
            None => (false, None),
        };
        let row = sqlx::query(concat!(
            "UPDATE users SET display_name = coalesce(?, display_name), \
             bio = coalesce(?, bio), status_text = coalesce(?, status_text), \
             avatar = CASE WHEN ? THEN ? ELSE avatar END \
             WHERE id = ? RETURNING ",
            user_columns!()
        ))
        .bind(patch.display_name)
        .bind(patch.bio)
        .bind(patch.status_text)
        .bind(set_avatar)
        .bind(avatar)
        .bind(id.0)
        .fetch_optional(&self.writer)
        .await?
        .ok_or(StoreError::NotFound)?;
        rows::user(&row)
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(id.0)
            .execute(&self.writer)
            .await?;
        found(done.rows_affected())
    }

    async fn set_admin(&self, id: UserId, is_admin: bool) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET is_admin = ? WHERE id = ?")
            .bind(is_admin)
            .bind(id.0)
            .execute(&self.writer)
            .await?;
        found(done.rows_affected())
    }
}

/// Makes `text` match literally inside a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(escape_like("plain"), "plain");
    }
}
