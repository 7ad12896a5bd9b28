//! What the SQLite and PostgreSQL backends share: every statement that reads
//! the same in both dialects, the decoding of rows into records, and the
//! product rules (orderings, created-versus-existing decisions, limits).
//!
//! The statements are written once, with PostgreSQL's `$n` placeholders
//! (sqlx's SQLite driver binds `$n` to the n-th argument too) and with
//! `TRUE`, `FALSE` and bare boolean columns, which both databases read the
//! same way. Values whose encoding differs travel in the newtypes of
//! [`values`]: a time is unix milliseconds in SQLite and a `timestamptz` in
//! PostgreSQL, an id list JSON text in SQLite and a `uuid[]` in PostgreSQL.
//!
//! Each aggregate's store is a template (`user_store!`, `room_store!`, …)
//! that a backend instantiates for its store type. Generic code over
//! `sqlx::Database` would carry a dozen trait bounds on every function; a
//! template instead compiles to plain code per backend, with static SQL
//! that sqlx prepares once per connection. What a backend must have in scope
//! where it instantiates the templates:
//!
//! - `Db`: its `sqlx::Database`;
//! - on its store: `reader()` and `writer()` (pools for reads and for
//!   one-statement writes), `begin_write()` (a transaction that may write),
//!   `begin_snapshot()` (a read-only transaction on one snapshot), and what
//!   it does its own way: `lock_registrations(tx)` (so that one first user
//!   becomes admin) and `insert_new_message(new)` (sequence allocation);
//! - its dialect's words (the table in [`dialect`]: `message_columns!`,
//!   `for_update!`, `greatest!`, …) and its `id_set!($n)`;
//! - a `dialect` module with the statements that differ as a whole.
//!
//! Each template expands to a private module that imports the invoking
//! module's names (`use super::*`), so its code reads like any other.

pub(crate) mod dialect;
pub(crate) mod messages;
pub(crate) mod notifications;
pub(crate) mod rooms;
pub(crate) mod rows;
pub(crate) mod rules;
pub(crate) mod search;
pub(crate) mod security;
pub(crate) mod sessions;
pub(crate) mod uploads;
pub(crate) mod users;
pub(crate) mod values;

use crate::error::{StoreError, StoreResult};

/// Turns a unique violation into `Conflict(what)` for the first rule whose
/// needle appears in the violated constraint: PostgreSQL names it
/// (`users_unique_email`), SQLite names the columns (`users.username`) or the
/// index (`index 'users_unique_email'`) in its message. Needles are chosen to
/// appear in both spellings. Other errors keep their source.
pub(crate) fn conflict_or(e: sqlx::Error, rules: &[(&str, &'static str)]) -> StoreError {
    if let Some((_, what)) = rules
        .iter()
        .find(|(needle, _)| is_unique_violation_of(&e, needle))
    {
        return StoreError::Conflict(what);
    }
    StoreError::from(e)
}

/// Whether `e` broke a unique constraint that mentions `needle`.
pub(crate) fn is_unique_violation_of(e: &sqlx::Error, needle: &str) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.is_unique_violation()
            && db.constraint().unwrap_or_else(|| db.message()).contains(needle))
}

/// `NotFound(what)` when an update by primary key touched nothing.
pub(crate) fn found(rows_affected: u64, what: &'static str) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound(what))
    } else {
        Ok(())
    }
}

/// Makes `text` match literally inside a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn escape_like(text: &str) -> String {
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
