//! What PostgreSQL spells differently from SQLite in the shared statements
//! (see `crate::sql`): a few words as macros, a few whole statements.

/// Needs the messages table aliased as `m`. Mentions come along as an array
/// (ordered by user id, as SQLite's), so a message is always one row.
macro_rules! message_columns {
    () => {
        "m.id, m.room_id, m.seq, m.updated_seq, m.sender_id, m.body, m.nonce, m.reply_to, \
         m.mentions_room, m.anonymous, m.attachments, m.pinned, m.created_at, m.edited_at, \
         m.deleted, \
         ARRAY(SELECT mm.user_id FROM message_mentions mm WHERE mm.message_id = m.id \
               ORDER BY mm.user_id) AS mentions"
    };
}

/// Row locks: a read that decides a write keeps other nodes off its rows.
macro_rules! for_update {
    () => {
        " FOR UPDATE"
    };
}

/// Rows another node is already working on are left to it.
macro_rules! skip_locked {
    () => {
        " FOR UPDATE SKIP LOCKED"
    };
}

macro_rules! greatest {
    () => {
        "greatest"
    };
}

macro_rules! least {
    () => {
        "least"
    };
}

/// The ids bound at `$p` (a `uuid[]`, see `values::Ids`) as a one-column
/// set named `id`.
macro_rules! id_set {
    ($p:literal) => {
        concat!("(SELECT unnest(", $p, "::uuid[]) AS id)")
    };
}

macro_rules! case_insensitive_like {
    () => {
        "ILIKE"
    };
}

/// Byte order ("C"), as SQLite sorts, whatever the database's locale.
macro_rules! byte_order {
    ($column:literal) => {
        concat!($column, " COLLATE \"C\"")
    };
}

/// Lower-cased, then byte order: SQLite's NOCASE.
macro_rules! case_insensitive_order {
    ($column:literal) => {
        concat!("lower(", $column, ") COLLATE \"C\"")
    };
}

/// The 1-based place of `$needle` in `$haystack`, 0 when absent.
macro_rules! position {
    ($haystack:literal, $needle:literal) => {
        concat!("strpos(", $haystack, ", ", $needle, ")")
    };
}

/// Insertion order of reactions: an identity column.
macro_rules! reaction_position {
    () => {
        "position"
    };
}

pub(super) use {
    byte_order, case_insensitive_like, case_insensitive_order, for_update, greatest, id_set, least,
    message_columns, position, reaction_position, skip_locked,
};

/// The newest non-deleted message of each room of user `$1`: walks the
/// (room_id, seq) index backwards past any trailing tombstones.
pub(super) const LAST_MESSAGES: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM members mb JOIN LATERAL (SELECT x.* FROM messages x \
       WHERE x.room_id = mb.room_id AND NOT x.deleted ORDER BY x.seq DESC LIMIT 1) m ON TRUE \
     WHERE mb.user_id = $1 AND NOT mb.banned"
);
