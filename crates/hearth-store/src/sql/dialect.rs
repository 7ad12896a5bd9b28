//! The words the two dialects spell differently in the shared statements,
//! side by side. Each row `name: sqlite, postgres;` becomes a macro `name!()`
//! in `sqlite_words` and in `postgres_words`, expanding to that dialect's
//! text, so that statements can be assembled with `concat!` into
//! `&'static str`s. Each backend imports its module where it instantiates
//! the templates.

macro_rules! dialects {
    ($($(#[doc = $doc:literal])* $name:ident: $sqlite:literal, $postgres:literal;)*) => {
        pub(crate) mod sqlite_words {
            $(
                $(#[doc = $doc])*
                macro_rules! $name {
                    () => {
                        $sqlite
                    };
                }
            )*
            pub(crate) use {$($name),*};
        }
        pub(crate) mod postgres_words {
            $(
                $(#[doc = $doc])*
                macro_rules! $name {
                    () => {
                        $postgres
                    };
                }
            )*
            pub(crate) use {$($name),*};
        }
    };
}

dialects! {
    /// Needs the messages table aliased as `m`. Mentions come along as a
    /// JSON array of hex UUIDs (SQLite) or an array ordered by user id
    /// (PostgreSQL), so a message is always one row.
    message_columns:
        "m.id, m.room_id, m.seq, m.updated_seq, m.sender_id, m.body, m.nonce, m.reply_to, \
         m.mentions_room, m.anonymous, m.attachments, m.pinned, m.created_at, m.edited_at, \
         m.deleted, \
         (SELECT json_group_array(hex(mm.user_id)) FROM message_mentions mm \
          WHERE mm.message_id = m.id) AS mentions",
        "m.id, m.room_id, m.seq, m.updated_seq, m.sender_id, m.body, m.nonce, m.reply_to, \
         m.mentions_room, m.anonymous, m.attachments, m.pinned, m.created_at, m.edited_at, \
         m.deleted, \
         ARRAY(SELECT mm.user_id FROM message_mentions mm WHERE mm.message_id = m.id \
               ORDER BY mm.user_id) AS mentions";
    /// Row locks, so that a read that decides a write keeps other nodes off
    /// its rows. SQLite has none: every write transaction holds the
    /// database's one write lock from its start (`BEGIN IMMEDIATE`).
    for_update: "", " FOR UPDATE";
    /// Rows another node is already working on are left to it.
    skip_locked: "", " FOR UPDATE SKIP LOCKED";
    /// The larger and the smaller of two values.
    greatest: "max", "greatest";
    least: "min", "least";
    /// SQLite's LIKE already ignores case (ASCII, which is what usernames are).
    case_insensitive_like: "LIKE", "ILIKE";
    /// Byte order, whatever the database's locale (SQLite's BINARY already).
    byte_order: "", " COLLATE \"C\"";
    /// `position!()(haystack, needle)`: 1-based, 0 when absent.
    position: "instr", "strpos";
    /// Insertion order of reactions: SQLite's rowid, PostgreSQL's identity.
    reaction_position: "rowid", "position";
}
