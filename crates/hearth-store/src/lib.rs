//! Hearth's storage layer.
//!
//! - [`Store`]: the whole store, made of one sub-trait per aggregate
//!   ([`UserStore`], [`SessionStore`], [`RoomStore`], [`MessageStore`]).
//! - [`records`]: the rows the store reads and writes (not the wire DTOs).
//! - [`sqlite`]: the default backend (one file, WAL, one writer connection).
//! - `conformance` (feature `conformance`): the suite every backend must pass.
//!
//! Rules every backend keeps: a room's `seq` is strictly increasing and gap-free;
//! every change to a message (edit, delete, reaction, pin) takes the room's next
//! seq as the message's `updated_seq`; `(room, sender, nonce)` is unique.

pub mod error;
pub mod records;
pub mod sqlite;
pub mod traits;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::{StoreError, StoreResult};
pub use records::*;
pub use traits::{MessageStore, RoomStore, SessionStore, Store, UserStore};

use std::sync::Arc;

/// How to open a store, whatever its backend.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// SQLite: fsync every commit (`synchronous=FULL`), so an acknowledged
    /// write survives power loss, not only a process crash.
    pub sqlite_synchronous_full: bool,
}

/// Opens the store named by `url` with default options.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, OpenOptions::default()).await
}

/// Opens the store named by `url`: `sqlite://PATH` (created if missing) or
/// `sqlite::memory:`. Migrations are applied before this returns.
pub async fn open_with(url: &str, options: OpenOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let sqlite_options = sqlite::SqliteOptions {
            synchronous_full: options.sqlite_synchronous_full,
            ..sqlite::SqliteOptions::default()
        };
        Ok(Arc::new(
            sqlite::SqliteStore::open_with(url, sqlite_options).await?,
        ))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL scheme in {:?} (expected sqlite:)",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
