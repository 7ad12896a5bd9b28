//! The store's error type. Backends map unique violations to `Conflict` and a
//! write on something missing to `NotFound`, naming it; a read that may find
//! nothing answers `None` instead. Everything else keeps its source.

use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A write found nothing to act on; the string names what was missing
    /// (e.g. "room", "member", "message").
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was broken; the string names what (e.g. "username").
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A storage limit was hit (e.g. distinct reactions on a message).
    #[error("limit reached: {0}")]
    Limit(&'static str),
    #[error("store configuration: {0}")]
    Config(String),
    /// The database could not be reached (connection refused, pool timed out).
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Backend(#[source] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            sqlx::Error::Database(db) if is_transient_postgres(db.as_ref()) => {
                StoreError::Unavailable(e)
            }
            _ => StoreError::Backend(e),
        }
    }
}

/// PostgreSQL errors that say "not now" rather than "never": the server is
/// shutting down or restarting (57P0x), the connection broke (class 08), it
/// has no connection slot left (53300), or a transaction lost a race it may
/// simply retry (40001, 40P01). A client may retry these, so they answer 503.
fn is_transient_postgres(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() else {
        return false;
    };
    let code = pg.code();
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
        )
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}
