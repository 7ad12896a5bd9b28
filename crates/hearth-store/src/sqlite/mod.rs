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
//! One file per aggregate: `users`, `sessions`, `rooms`, `messages`, `uploads`,
//! `security`; `rows` turns rows into records.

mod group_commit;
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
use hearth_protocol::{RoomId, UserId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

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

    /// Starts a write transaction on the writer connection. `BEGIN IMMEDIATE`
    /// takes the write lock up front (see the module docs).
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
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
        id: hearth_protocol::SessionId,
    ) -> StoreResult<(crate::records::SessionRecord, crate::records::UserRecord)> {
        sessions::session_with_user(self, id).await
    }

    async fn sending_context(
        &self,
        room: RoomId,
        user: UserId,
    ) -> StoreResult<crate::records::SendingContext> {
        rooms::sending_context(&self.reader, room, user).await
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

/// Takes the room's next seq (the caller records it as the changed message's
/// `updated_seq`). `NotFound` if the room does not exist. Must run inside the
/// write transaction that makes the change, so a rollback returns the seq.
async fn next_seq(conn: &mut SqliteConnection, room: RoomId) -> StoreResult<i64> {
    sqlx::query_scalar("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq")
        .bind(room.0)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Turns a unique violation into `Conflict(what)` for the first rule whose
/// needle appears in the violated constraint. SQLite names the columns
/// (`users.username`) or the expression index (`index 'users_unique_email'`)
/// in the message; other errors keep their source.
fn conflict_or(e: sqlx::Error, rules: &[(&str, &'static str)]) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let detail = db.constraint().unwrap_or_else(|| db.message());
        if let Some((_, what)) = rules.iter().find(|(needle, _)| detail.contains(needle)) {
            return StoreError::Conflict(what);
        }
    }
    StoreError::from(e)
}

/// Whether `e` broke a unique constraint that mentions `needle`.
fn is_unique_violation_of(e: &sqlx::Error, needle: &str) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.is_unique_violation()
            && db.constraint().unwrap_or_else(|| db.message()).contains(needle))
}

/// `NotFound` when an update by primary key touched nothing.
fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Most ids bound in one `IN (…)` list. SQLite allows 32766 variables per
/// statement; smaller chunks keep statements short and the limit far away.
const IN_LIST_CHUNK: usize = 500;

/// Appends `(?, ?, …)` binding `ids` to `query`.
fn push_id_list<'a>(query: &mut QueryBuilder<'a, Sqlite>, ids: &[Uuid]) {
    query.push("(");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// Times are stored as unix milliseconds; finer precision is dropped.
fn millis(t: OffsetDateTime) -> i64 {
    // Every `OffsetDateTime` (years ±9999) fits in i64 milliseconds.
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_millis(ms: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms} out of range: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_drops_sub_millisecond_precision() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let back = from_millis(millis(t)).ok();
        assert_eq!(
            back.map(|b| b.unix_timestamp_nanos()),
            Some(1_700_000_000_123_000_000)
        );
    }

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

    #[test]
    fn negative_millis_are_before_the_epoch() {
        assert_eq!(millis(OffsetDateTime::UNIX_EPOCH), 0);
        assert!(from_millis(-1).is_ok_and(|t| t < OffsetDateTime::UNIX_EPOCH));
    }
}
