//! Moving a single-node install to cluster mode: copies every row of a SQLite
//! database into an empty PostgreSQL one (`hearth migrate-to-postgres`).
//!
//! Both schemas are first brought up to date by their migrations. Then, in
//! one PostgreSQL transaction (all or nothing), each table is streamed from
//! SQLite in key order and written in multi-row `INSERT`s, converting as it
//! goes: 16-byte BLOBs to `uuid`, unix milliseconds to `timestamptz`, 0/1 to
//! `boolean`, JSON id lists to `uuid[]`. Seqs, nonces, row order (SQLite's
//! rowids become `messages.row_id` and `reactions.position`) and every id are
//! kept; `rooms.member_count` is recounted by PostgreSQL's trigger. Finally
//! the row counts of both sides are compared.
//!
//! The table list below is the contract: a SQLite column or table it does
//! not name fails the copy up front, so a schema change cannot silently be
//! left behind (update [`TABLES`] together with the migrations).

use crate::error::{StoreError, StoreResult};
use crate::postgres::{PgOptions, PgStore};
use crate::sqlite::SqliteStore;
use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{ConnectOptions, Connection, Postgres, QueryBuilder, Row, SqliteConnection};
use std::collections::BTreeSet;
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

/// How a column is read from SQLite and written to PostgreSQL.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Id,
    OptId,
    Str,
    OptStr,
    Int,
    OptInt,
    Flag,
    /// Unix milliseconds → `timestamptz`.
    Time,
    OptTime,
    OptBytes,
    /// A JSON array of UUID strings → `uuid[]`.
    IdList,
}

/// One column: its SQLite expression (usually its name), its PostgreSQL name.
struct Column {
    sqlite: &'static str,
    postgres: &'static str,
    kind: Kind,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        sqlite: name,
        postgres: name,
        kind,
    }
}

struct Table {
    name: &'static str,
    columns: &'static [Column],
    /// SQLite's order, which decides identity values and first-use order.
    order_by: &'static str,
    /// SQLite columns deliberately not copied (PostgreSQL recomputes them).
    skipped: &'static [&'static str],
}

use Kind::*;

/// Every table, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns: &[
            col("id", Id),
            col("username", Str),
            col("display_name", Str),
            col("email", OptStr),
            col("password_hash", Str),
            col("bio", Str),
            col("status_text", Str),
            col("avatar", OptId),
            col("is_admin", Flag),
            col("deactivated", Flag),
            col("created_at", Time),
            col("email_verified", Flag),
            col("totp_secret", OptStr),
            col("totp_enabled", Flag),
            col("totp_last_step", OptInt),
            col("dnd_until", OptTime),
            col("digest_watermark", OptTime),
            col("time_zone", Str),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    Table {
        name: "sessions",
        columns: &[
            col("id", Id),
            col("user_id", Id),
            col("user_agent", Str),
            col("ip", Str),
            col("created_at", Time),
            col("last_active_at", Time),
            col("expires_at", Time),
            col("revoked_at", OptTime),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    Table {
        name: "refresh_tokens",
        columns: &[
            col("hash", Str),
            col("session_id", Id),
            col("created_at", Time),
            col("spent_at", OptTime),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    Table {
        name: "rooms",
        columns: &[
            col("id", Id),
            col("kind", Str),
            col("name", Str),
            col("topic", Str),
            col("description", Str),
            col("avatar", OptId),
            col("anonymous_allowed", Flag),
            col("archived", Flag),
            col("created_by", Id),
            col("created_at", Time),
            col("last_seq", Int),
            col("dm_key", OptStr),
        ],
        order_by: "rowid",
        // Counted again by the members trigger as members are copied.
        skipped: &["member_count"],
    },
    Table {
        name: "members",
        columns: &[
            col("room_id", Id),
            col("user_id", Id),
            col("role", Str),
            col("joined_at", Time),
            col("read_seq", Int),
            col("delivered_seq", Int),
            col("muted", Flag),
            col("banned", Flag),
            col("notify_level", OptStr),
        ],
        order_by: "room_id, user_id",
        skipped: &[],
    },
    Table {
        name: "messages",
        columns: &[
            col("row_id", Int),
            col("id", Id),
            col("room_id", Id),
            col("seq", Int),
            col("updated_seq", Int),
            col("sender_id", Id),
            col("body", Str),
            col("nonce", OptStr),
            col("reply_to", OptId),
            col("mentions_room", Flag),
            col("anonymous", Flag),
            col("attachments", IdList),
            col("pinned", Flag),
            col("created_at", Time),
            col("edited_at", OptTime),
            col("deleted", Flag),
        ],
        order_by: "row_id",
        skipped: &[],
    },
    Table {
        name: "message_mentions",
        columns: &[
            col("message_id", Id),
            col("room_id", Id),
            col("seq", Int),
            col("user_id", Id),
        ],
        order_by: "message_id, user_id",
        skipped: &[],
    },
    Table {
        name: "reactions",
        columns: &[
            Column {
                sqlite: "rowid",
                postgres: "position",
                kind: Int,
            },
            col("message_id", Id),
            col("user_id", Id),
            col("emoji", Str),
            col("created_at", Time),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    Table {
        name: "uploads",
        columns: &[
            col("id", Id),
            col("uploader_id", Id),
            col("filename", Str),
            col("content_type", Str),
            col("size", Int),
            col("sha256", Str),
            col("width", OptInt),
            col("height", OptInt),
            col("duration_ms", OptInt),
            col("waveform", OptBytes),
            col("preview_type", OptStr),
            col("created_at", Time),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    Table {
        name: "message_attachments",
        columns: &[col("upload_id", Id), col("message_id", Id)],
        order_by: "upload_id, message_id",
        skipped: &[],
    },
    Table {
        name: "recovery_codes",
        columns: &[
            col("user_id", Id),
            col("hash", Str),
            col("used_at", OptTime),
        ],
        order_by: "user_id, hash",
        skipped: &[],
    },
    Table {
        name: "email_tokens",
        columns: &[
            col("hash", Str),
            col("user_id", Id),
            col("purpose", Str),
            col("email", Str),
            col("created_at", Time),
            col("expires_at", Time),
            col("used_at", OptTime),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    Table {
        name: "push_subscriptions",
        columns: &[
            col("id", Id),
            col("user_id", Id),
            col("session_id", OptId),
            col("endpoint", Str),
            col("p256dh", Str),
            col("auth", Str),
            col("created_at", Time),
        ],
        order_by: "rowid",
        skipped: &[],
    },
    // Copied so that a token revoked before the move stays refused after
    // it; PostgreSQL numbers them anew.
    Table {
        name: "session_revocations",
        columns: &[
            col("session_id", Id),
            col("user_id", Id),
            col("revoked_at", Time),
        ],
        order_by: "seq",
        skipped: &["seq"],
    },
];

/// SQLite tables that are not data: the full-text index (PostgreSQL keeps
/// its own) and the migrations' bookkeeping.
fn is_not_data(table: &str) -> bool {
    table.starts_with("messages_fts") || table.starts_with("_sqlx") || table.starts_with("sqlite_")
}

/// Identity columns whose sequence must continue after the copied values.
const IDENTITIES: &[(&str, &str)] = &[("messages", "row_id"), ("reactions", "position")];

/// Most bind parameters in one statement (PostgreSQL allows 65535).
const MAX_BINDS: usize = 30_000;

/// Rows copied per table, in copy order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransferReport {
    pub tables: Vec<(&'static str, u64)>,
    /// The SHA-256 of every blob the uploads reference: what blob storage
    /// must hold for the copied uploads to be served.
    pub blobs: Vec<String>,
}

impl TransferReport {
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// Copies the SQLite database at `from` (`sqlite://PATH`) into the
/// PostgreSQL database at `to`, which must hold no users yet.
pub async fn sqlite_to_postgres(from: &str, to: &str) -> StoreResult<TransferReport> {
    let source_options = SqliteConnectOptions::from_str(from)
        .map_err(|e| StoreError::Config(format!("invalid SQLite URL {from:?}: {e}")))?;
    // Opening would create a missing file: a typo must not copy nothing.
    let path = source_options.get_filename();
    if !path.exists() {
        return Err(StoreError::Config(format!(
            "no SQLite database at {}",
            path.display()
        )));
    }
    // Migrations first: an older file is brought up to date (as `hearth
    // migrate` would), the target gets its tables.
    drop(SqliteStore::open(from).await?);
    let target = PgStore::open_with(
        to,
        PgOptions {
            max_connections: 2,
            ..PgOptions::default()
        },
    )
    .await?;
    let mut source = source_options.read_only(true).connect().await?;
    check_schema(&mut source).await?;

    let mut tx = target.pool().begin().await?;
    let occupied: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)")
        .fetch_one(&mut *tx)
        .await?;
    if occupied {
        return Err(StoreError::Config(
            "the PostgreSQL database already has users: copy into an empty one".to_string(),
        ));
    }
    // One snapshot of the source for every table.
    let mut snapshot = source.begin().await?;
    let mut report = TransferReport::default();
    for table in TABLES {
        let copied = copy_table(&mut snapshot, &mut tx, table).await?;
        tracing::info!(table = table.name, rows = copied, "copied");
        report.tables.push((table.name, copied));
    }
    snapshot.commit().await?;
    for (table, column) in IDENTITIES {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
             coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut *tx)
        .await?;
    }
    for (table, copied) in &report.tables {
        let held: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if u64::try_from(held).ok() != Some(*copied) {
            return Err(StoreError::Corrupt(format!(
                "{table}: {copied} rows read but {held} written"
            )));
        }
    }
    report.blobs = sqlx::query_scalar("SELECT DISTINCT sha256 FROM uploads ORDER BY sha256")
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    target.close().await;
    Ok(report)
}

/// Fails when SQLite has a table or column the copy does not know.
async fn check_schema(source: &mut SqliteConnection) -> StoreResult<()> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut *source)
            .await?;
    for name in tables.iter().filter(|t| !is_not_data(t)) {
        let Some(table) = TABLES.iter().find(|t| t.name == name) else {
            return Err(unknown(format!("table {name}")));
        };
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{name}')"))
                .fetch_all(&mut *source)
                .await?;
        let known: BTreeSet<&str> = table
            .columns
            .iter()
            .map(|c| c.sqlite)
            .chain(table.skipped.iter().copied())
            .collect();
        if let Some(column) = columns.iter().find(|c| !known.contains(c.as_str())) {
            return Err(unknown(format!("column {name}.{column}")));
        }
    }
    Ok(())
}

fn unknown(what: String) -> StoreError {
    StoreError::Config(format!(
        "{what} would not be copied: hearth_store::transfer does not know it"
    ))
}

async fn copy_table(
    source: &mut SqliteConnection,
    target: &mut sqlx::PgConnection,
    table: &Table,
) -> StoreResult<u64> {
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        table
            .columns
            .iter()
            .map(|c| c.sqlite)
            .collect::<Vec<_>>()
            .join(", "),
        table.name,
        table.order_by
    );
    let per_batch = (MAX_BINDS / table.columns.len()).max(1);
    let mut rows = sqlx::query(&select).fetch(source);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_batch);
    let mut copied = 0u64;
    while let Some(row) = rows.try_next().await? {
        batch.push(read_row(&row, table)?);
        if batch.len() == per_batch {
            copied += insert(target, table, &mut batch).await?;
        }
    }
    copied += insert(target, table, &mut batch).await?;
    Ok(copied)
}

/// A value on its way from SQLite to PostgreSQL.
enum Value {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Time(Option<OffsetDateTime>),
    Bytes(Option<Vec<u8>>),
    UuidList(Vec<Uuid>),
}

fn read_row(row: &SqliteRow, table: &Table) -> StoreResult<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(match column.kind {
                Id => Value::Uuid(Some(row.try_get(i)?)),
                OptId => Value::Uuid(row.try_get(i)?),
                Str => Value::Text(Some(row.try_get(i)?)),
                OptStr => Value::Text(row.try_get(i)?),
                Int => Value::Int(Some(row.try_get(i)?)),
                OptInt => Value::Int(row.try_get(i)?),
                Flag => Value::Bool(row.try_get(i)?),
                Time => Value::Time(Some(from_millis(row.try_get(i)?)?)),
                OptTime => Value::Time(
                    row.try_get::<Option<i64>, _>(i)?
                        .map(from_millis)
                        .transpose()?,
                ),
                OptBytes => Value::Bytes(row.try_get(i)?),
                IdList => {
                    let json: String = row.try_get(i)?;
                    Value::UuidList(serde_json::from_str(&json).map_err(|e| {
                        StoreError::Corrupt(format!("{}.{}: {e}", table.name, column.sqlite))
                    })?)
                }
            })
        })
        .collect()
}

fn from_millis(ms: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms} out of range: {e}")))
}

/// Writes and empties `batch`; returns how many rows it held.
async fn insert(
    target: &mut sqlx::PgConnection,
    table: &Table,
    batch: &mut Vec<Vec<Value>>,
) -> StoreResult<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "INSERT INTO {} ({}) ",
        table.name,
        table
            .columns
            .iter()
            .map(|c| c.postgres)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let rows = batch.len() as u64;
    sql.push_values(batch.drain(..), |mut b, row| {
        for value in row {
            match value {
                Value::Uuid(v) => b.push_bind(v),
                Value::Text(v) => b.push_bind(v),
                Value::Int(v) => b.push_bind(v),
                Value::Bool(v) => b.push_bind(v),
                Value::Time(v) => b.push_bind(v),
                Value::Bytes(v) => b.push_bind(v),
                Value::UuidList(v) => b.push_bind(v),
            };
        }
    });
    sql.build().execute(&mut *target).await?;
    Ok(rows)
}
