//! What SQLite spells differently from PostgreSQL in the shared statements
//! (see `crate::sql`): a few words as macros, a few whole statements.

/// Needs the messages table aliased as `m`. Mentions come along as a JSON
/// array of hex UUIDs, so a message is always one row.
macro_rules! message_columns {
    () => {
        "m.id, m.room_id, m.seq, m.updated_seq, m.sender_id, m.body, m.nonce, m.reply_to, \
         m.mentions_room, m.anonymous, m.attachments, m.pinned, m.created_at, m.edited_at, \
         m.deleted, \
         (SELECT json_group_array(hex(mm.user_id)) FROM message_mentions mm \
          WHERE mm.message_id = m.id) AS mentions"
    };
}

/// No row locks: every write transaction holds the database's one write
/// lock from its start (`BEGIN IMMEDIATE`).
macro_rules! for_update {
    () => {
        ""
    };
}

/// See [`for_update!`].
macro_rules! skip_locked {
    () => {
        ""
    };
}

/// The scalar forms of `max` and `min`.
macro_rules! greatest {
    () => {
        "max"
    };
}

macro_rules! least {
    () => {
        "min"
    };
}

/// The ids bound at `$p` (a JSON array, see `values::Ids`) as a one-column
/// set named `id`.
macro_rules! id_set {
    ($p:literal) => {
        concat!(
            "(SELECT unhex(replace(value, '-', '')) AS id FROM json_each(",
            $p,
            "))"
        )
    };
}

/// LIKE already ignores case (ASCII, which is what usernames are).
macro_rules! case_insensitive_like {
    () => {
        "LIKE"
    };
}

/// Text columns compare byte-wise by default (BINARY).
macro_rules! byte_order {
    ($column:literal) => {
        $column
    };
}

/// NOCASE folds ASCII only, then compares byte-wise.
macro_rules! case_insensitive_order {
    ($column:literal) => {
        concat!($column, " COLLATE NOCASE")
    };
}

/// The 1-based place of `$needle` in `$haystack`, 0 when absent.
macro_rules! position {
    ($haystack:literal, $needle:literal) => {
        concat!("instr(", $haystack, ", ", $needle, ")")
    };
}

/// Insertion order of reactions: the rowid.
macro_rules! reaction_position {
    () => {
        "rowid"
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
    " FROM members mb JOIN messages m ON m.room_id = mb.room_id \
     AND m.seq = (SELECT x.seq FROM messages x WHERE x.room_id = mb.room_id \
                  AND NOT x.deleted ORDER BY x.seq DESC LIMIT 1) \
     WHERE mb.user_id = $1 AND NOT mb.banned"
);
