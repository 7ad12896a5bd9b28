//! Hearth's storage layer.
//!
//! - [`Store`]: the whole store, made of one sub-trait per aggregate
//!   ([`UserStore`], [`SessionStore`], [`RoomStore`], [`MessageStore`],
//!   [`UploadStore`], [`SecurityStore`], [`SearchStore`],
//!   [`NotificationStore`]).
//! - [`records`]: the rows the store reads and writes (not the wire DTOs).
//! - `sql`: what both SQL backends share — the statements written once, row
//!   decoding, the product rules — as templates each backend instantiates.
//! - [`sqlite`]: the default backend (one file, WAL, one writer connection).
//! - [`postgres`]: the cluster backend (a pool per node; seqs kept by row locks).
//! - [`transfer`]: copies a SQLite database into PostgreSQL (`hearth migrate-to-postgres`).
//! - `conformance` (feature `conformance`): the suite every backend must pass.
//!
//! Rules every backend keeps: a room's `seq` is strictly increasing and gap-free;
//! every change to a message (edit, delete, reaction, pin) takes the room's next
//! seq as the message's `updated_seq`; `(room, sender, nonce)` is unique.

pub mod error;
pub mod postgres;
pub mod records;
mod sql;
pub mod sqlite;
pub mod traits;
pub mod transfer;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::{StoreError, StoreResult};
pub use records::*;
pub use traits::{
    MessageStore, NotificationStore, RoomStore, SearchStore, SecurityStore, SessionStore, Store,
    UploadStore, UserStore,
};

use std::sync::Arc;

/// How to open a store, whatever its backend.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// SQLite: fsync every commit (`synchronous=FULL`), so an acknowledged
    /// write survives power loss, not only a process crash.
    pub sqlite_synchronous_full: bool,
    /// PostgreSQL: connections in this node's pool (`None`: the default, 10).
    pub postgres_max_connections: Option<u32>,
}

/// Opens the store named by `url` with default options.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, OpenOptions::default()).await
}

/// Opens the store named by `url`: `sqlite://PATH` (created if missing),
/// `sqlite::memory:`, or `postgres://…` (`postgresql://…`). Migrations are
/// applied before this returns.
pub async fn open_with(url: &str, options: OpenOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let sqlite_options = sqlite::SqliteOptions {
            synchronous_full: options.sqlite_synchronous_full,
            ..sqlite::SqliteOptions::default()
        };
        Ok(Arc::new(
            sqlite::SqliteStore::open_with(url, sqlite_options).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut pg_options = postgres::PgOptions::default();
        if let Some(n) = options.postgres_max_connections {
            pg_options.max_connections = n;
        }
        Ok(Arc::new(
            postgres::PgStore::open_with(url, pg_options).await?,
        ))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL scheme in {:?} (expected sqlite: or postgres:)",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
