//! What PostgreSQL spells differently from SQLite in the shared statements
//! (see `crate::sql`) beyond the words of `sql::dialect`: id sets and the
//! statements that differ as a whole.

pub(super) use crate::sql::dialect::postgres_words::*;

/// The ids bound at `$p` (a `uuid[]`, see `values::Ids`) as a one-column
/// set named `id`.
macro_rules! id_set {
    ($p:literal) => {
        concat!("(SELECT unnest(", $p, "::uuid[]) AS id)")
    };
}
pub(super) use id_set;

/// The newest non-deleted message of each room of user `$1`: walks the
/// (room_id, seq) index backwards past any trailing tombstones (LATERAL:
/// one index walk per room).
pub(super) const LAST_MESSAGES: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM members mb JOIN LATERAL (SELECT x.* FROM messages x \
       WHERE x.room_id = mb.room_id AND NOT x.deleted ORDER BY x.seq DESC LIMIT 1) m ON TRUE \
     WHERE mb.user_id = $1 AND NOT mb.banned"
);
