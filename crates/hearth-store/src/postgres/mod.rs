//! The PostgreSQL backend, for cluster mode: any number of Hearth nodes share
//! one database through a pool of connections each.
//!
//! Unlike SQLite there is no single writer: concurrency is PostgreSQL's.
//! What keeps a room's seqs strictly increasing and gap-free across nodes is
//! [`next_seq`]: `UPDATE rooms SET last_seq = last_seq + 1 … RETURNING` takes
//! the room's row lock inside the transaction that makes the change, so
//! changes to one room commit one after another, in seq order, and a rolled
//! back change hands its seq back. Changes to different rooms never wait for
//! each other.
//!
//! The pool tests each connection before handing it out and gives up after
//! [`ACQUIRE_TIMEOUT`], so while PostgreSQL restarts requests fail quickly
//! with [`StoreError::Unavailable`] (503) and work again once it is back,
//! without restarting Hearth.
//!
//! One file per aggregate: `users`, `sessions`, `rooms`, `messages`,
//! `uploads`, `security`, `search`, `notifications`; `rows` turns rows into
//! records.

mod messages;
mod notifications;
mod rooms;
mod rows;
mod search;
mod security;
mod sessions;
mod uploads;
mod users;

use crate::error::{StoreError, StoreResult};
use crate::traits::Store;
use async_trait::async_trait;
use hearth_protocol::RoomId;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// How long a request waits for a pooled connection (or a new one) before
/// the store reports itself unavailable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Tuning knobs for [`PgStore::open_with`].
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Most connections this node holds. Every node of a cluster has its own
    /// pool: keep `nodes × max_connections` under the server's
    /// `max_connections` (100 by default), leaving room for admin tools.
    pub max_connections: u32,
    /// Run the migrations on open (every node may; they take a lock).
    pub migrate: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            migrate: true,
        }
    }
}

/// The PostgreSQL implementation of [`Store`].
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, PgOptions::default()).await
    }

    /// [`PgStore::open`] with explicit options.
    pub async fn open_with(url: &str, options: PgOptions) -> StoreResult<Self> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("hearth");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection that died with a server restart is found out here
            // and replaced, not handed to a request.
            .test_before_acquire(true)
            .idle_timeout(Duration::from_secs(300))
            .connect_with(connect)
            .await?;
        if options.migrate {
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        }
        Ok(Self { pool })
    }

    /// The pool, for tools that read or write tables directly (the SQLite
    /// import).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

/// Takes the room's next seq (the caller records it as the changed message's
/// `updated_seq`). `NotFound` if the room does not exist. Must run inside the
/// transaction that makes the change: the room's row stays locked until it
/// commits (so seqs commit in order) and a rollback returns the seq.
async fn next_seq(conn: &mut PgConnection, room: RoomId) -> StoreResult<i64> {
    sqlx::query_scalar("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
        .bind(room.0)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Turns a unique violation of one of the named constraints into
/// `Conflict(what)`; other errors keep their source. PostgreSQL reports the
/// constraint (or unique index) by name, so the match is exact.
fn conflict_or(e: sqlx::Error, rules: &[(&str, &'static str)]) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
        && let Some(constraint) = db.constraint()
        && let Some((_, what)) = rules.iter().find(|(name, _)| *name == constraint)
    {
        return StoreError::Conflict(what);
    }
    StoreError::from(e)
}

/// Whether `e` broke the unique constraint named `name`.
fn is_unique_violation_of(e: &sqlx::Error, name: &str) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.is_unique_violation() && db.constraint() == Some(name))
}

/// `NotFound` when an update by primary key touched nothing.
fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
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
