//! The SQLite backend: one database file in WAL mode, one writer connection
//! through which every write goes, and a small pool of read-only connections
//! that read alongside it.
//!
//! SQLite admits one writer at a time. Queueing writes on a single pooled
//! connection is cheaper and fairer than letting several connections fight
//! for the lock and retry on `SQLITE_BUSY`; every write transaction starts
//! with `BEGIN IMMEDIATE`, so one that reads before it writes can never fail
//! to upgrade its lock (e.g. when an admin CLI writes to the same file).
//!
//! The aggregates' stores are the shared templates of `crate::sql`,
//! instantiated here with SQLite's `dialect`; what is SQLite's own: message
//! inserts committed in batches (`group_commit`), the one-query reads a
//! send and a connect make (`reads`), and FTS5 search (`search`).

mod dialect;
mod group_commit;
mod reads;
mod search;

use crate::error::{StoreError, StoreResult};
use crate::records::{Inserted, MessageRecord, NewMessage};
use crate::traits::Store;
use async_trait::async_trait;
use dialect::*;
use hearth_protocol::{RoomId, SessionId, UserId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The database the shared templates run on.
type Db = Sqlite;

crate::sql::users::user_store!(SqliteStore);
crate::sql::sessions::session_store!(SqliteStore);
crate::sql::rooms::room_store!(SqliteStore);
crate::sql::messages::message_store!(SqliteStore);
crate::sql::uploads::upload_store!(SqliteStore);
crate::sql::security::security_store!(SqliteStore);
crate::sql::notifications::notification_store!(SqliteStore);

/// How long a connection waits for a lock held by another process before
/// giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL pages written before the writer copies them back into the database
/// (SQLite's default is 1,000). Each commit rewrites the same hot pages (the
/// per-room index leaves, the search index) and a checkpoint copies each page
/// once however often it changed, so checkpointing a tenth as often copies far
/// fewer pages: 5,000–5,750 → 6,400–7,000 acks/s with 64 senders
/// (docs/performance.md, fourth round). The WAL grows to about 40 MiB.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;
/// The size the WAL file is cut back to after a checkpoint, so a burst does
/// not leave a large file behind.
const WAL_SIZE_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Tuning knobs for [`SqliteStore::open_with`].
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// `synchronous=FULL` instead of `NORMAL`. In WAL mode `NORMAL` never
    /// corrupts the database, but the latest commits may be lost on power
    /// failure (not on a process crash); `FULL` fsyncs on every commit so an
    /// acknowledged write survives that too, at some cost in write throughput.
    pub synchronous_full: bool,
    /// Connections in the read pool (at least 1).
    pub read_connections: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous_full: false,
            read_connections: 4,
        }
    }
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    /// Exactly one connection, kept open for the life of the store (which
    /// also keeps an in-memory database alive and the WAL files in place).
    writer: SqlitePool,
    /// Read-only connections. For an in-memory database this is the writer
    /// pool itself: shared-cache connections would lock each other out.
    reader: SqlitePool,
    /// Message inserts, committed in batches on the writer.
    inserts: group_commit::GroupCommit,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` — `sqlite://PATH` or
    /// `sqlite::memory:` — with `synchronous=NORMAL`, and applies migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, SqliteOptions::default()).await
    }

    /// [`SqliteStore::open`] with explicit options.
    pub async fn open_with(url: &str, options: SqliteOptions) -> StoreResult<Self> {
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid SQLite URL {url:?}: {e}")))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");

        let synchronous = if options.synchronous_full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        };
        let mut writer_options = base
            .clone()
            .create_if_missing(true)
            .synchronous(synchronous);
        if !in_memory {
            create_parent_dir(&base).await?;
            writer_options = writer_options
                .journal_mode(SqliteJournalMode::Wal)
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
                .pragma("journal_size_limit", WAL_SIZE_LIMIT_BYTES.to_string());
        }
        // No ping before each acquire (sqlx's default): a connection to a
        // local file does not go stale, and the ping is one more round trip
        // to the connection's worker thread for every query.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(writer_options)
            .await?;

        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;

        // Readers open after the migrations, when the file exists in WAL mode;
        // they set no journal mode (that would need a write lock).
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(options.read_connections.max(1))
                .connect_with(base.read_only(true))
                .await?
        };
        let inserts = group_commit::GroupCommit::start(writer.clone());
        Ok(Self {
            writer,
            reader,
            inserts,
        })
    }

    /// Reads go to the read-only connections.
    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// A write in one statement goes straight to the writer connection.
    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Starts a write transaction on the writer connection. `BEGIN IMMEDIATE`
    /// takes the write lock up front (see the module docs).
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A read transaction: in WAL mode, one snapshot until it ends.
    async fn begin_snapshot(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.reader.begin().await?)
    }

    /// Registrations already go one at a time: a write transaction holds
    /// the one write lock.
    async fn lock_registrations(&self, _tx: &mut Transaction<'static, Sqlite>) -> StoreResult<()> {
        Ok(())
    }

    /// Message inserts go through the group commit.
    async fn insert_new_message(&self, new: NewMessage) -> StoreResult<Inserted<MessageRecord>> {
        self.inserts.insert(new).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn session_with_user(
        &self,
        id: SessionId,
    ) -> StoreResult<Option<(crate::records::SessionRecord, crate::records::UserRecord)>> {
        reads::session_with_user(&self.reader, id).await
    }

    async fn sending_context(
        &self,
        room: RoomId,
        user: UserId,
    ) -> StoreResult<Option<crate::records::SendingContext>> {
        reads::sending_context(&self.reader, room, user).await
    }
}

async fn create_parent_dir(options: &SqliteConnectOptions) -> StoreResult<()> {
    match options.get_filename().parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            tokio::fs::create_dir_all(dir).await.map_err(|e| {
                StoreError::Config(format!("cannot create directory {}: {e}", dir.display()))
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_checkpoints_its_wal_less_often() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("hearth.db").display());
        let store = SqliteStore::open(&url).await.expect("open");
        let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writer)
            .await
            .expect("pragma");
        assert_eq!(pages, i64::from(WAL_AUTOCHECKPOINT_PAGES));
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.writer)
            .await
            .expect("pragma");
        assert_eq!(mode, "wal");
    }

    /// What `sql::rooms::unread_columns!` promises, every connect reading it
    /// for every room: the unread walk reads the covering `messages_unread`
    /// index only, and @room mentions come from their partial index (whose
    /// WHERE the query must spell as migration 0008 does).
    #[tokio::test]
    async fn unread_counts_walk_their_indexes() {
        use sqlx::Row;
        let store = SqliteStore::open("sqlite::memory:").await.expect("open");
        let plan: Vec<String> = sqlx::query(concat!(
            "EXPLAIN QUERY PLAN SELECT ",
            crate::sql::rooms::unread_columns!(),
            " FROM members mb WHERE mb.room_id = $1 AND mb.user_id = $2"
        ))
        .bind(uuid::Uuid::nil())
        .bind(uuid::Uuid::nil())
        .fetch_all(&store.reader)
        .await
        .expect("plan")
        .iter()
        .map(|row| row.get::<String, _>("detail"))
        .collect();
        assert!(
            plan.iter()
                .any(|p| p.contains("USING COVERING INDEX messages_unread")),
            "{plan:#?}"
        );
        assert!(
            plan.iter()
                .any(|p| p.contains("USING INDEX messages_mentioning_room")),
            "{plan:#?}"
        );
    }
}
