//! The PostgreSQL backend, for cluster mode: any number of Hearth nodes share
//! one database through a pool of connections each.
//!
//! Unlike SQLite there is no single writer: concurrency is PostgreSQL's.
//! What keeps a room's seqs strictly increasing and gap-free across nodes is
//! `next_seq` (shared: `sql::messages`): `UPDATE rooms SET last_seq =
//! last_seq + 1 … RETURNING` takes the room's row lock inside the transaction
//! that makes the change, so changes to one room commit one after another, in
//! seq order, and a rolled back change hands its seq back. Changes to
//! different rooms never wait for each other.
//!
//! The pool tests each connection before handing it out and gives up after
//! [`ACQUIRE_TIMEOUT`], so while PostgreSQL restarts requests fail quickly
//! with [`StoreError::Unavailable`] (503) and work again once it is back,
//! without restarting Hearth.
//!
//! The aggregates' stores are the shared templates of `crate::sql`,
//! instantiated here with PostgreSQL's `dialect`; what is PostgreSQL's own:
//! message inserts under the room's row lock (`messages`) and full-text
//! search over a `tsvector` (`search`).

mod dialect;
mod messages;
mod search;

use crate::error::{StoreError, StoreResult};
use crate::traits::Store;
use async_trait::async_trait;
use dialect::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The database the shared templates run on.
type Db = Postgres;

crate::sql::users::user_store!(PgStore);
crate::sql::sessions::session_store!(PgStore);
crate::sql::rooms::room_store!(PgStore);
crate::sql::messages::message_store!(PgStore);
crate::sql::uploads::upload_store!(PgStore);
crate::sql::security::security_store!(PgStore);
crate::sql::notifications::notification_store!(PgStore);

/// Serialises registrations, so that "is this the first user?" has one
/// answer across nodes (an arbitrary constant, private to Hearth's schema).
const FIRST_USER_LOCK: i64 = 0x4865_6172_7468_0001;

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

    /// Every node reads and writes through its one pool.
    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Several reads that must agree: one snapshot for all of them.
    async fn begin_snapshot(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?)
    }

    /// Takes the registrations lock until `tx` ends.
    async fn lock_registrations(&self, tx: &mut Transaction<'static, Postgres>) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FIRST_USER_LOCK)
            .execute(&mut **tx)
            .await?;
        Ok(())
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
