-- Hearth's SQLite schema.
--
-- Conventions: ids are UUIDs stored as 16-byte BLOBs; times are INTEGER unix
-- milliseconds (UTC); booleans are INTEGER 0/1; user-visible lists of ids
-- (attachments) are JSON arrays of UUID strings.

CREATE TABLE users (
    id            BLOB    NOT NULL PRIMARY KEY,
    -- Stored lower-cased by the store, so plain equality is case-insensitive.
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    -- Kept as typed (mail servers may care); uniqueness ignores case.
    email         TEXT,
    password_hash TEXT    NOT NULL,
    bio           TEXT    NOT NULL DEFAULT '',
    status_text   TEXT    NOT NULL DEFAULT '',
    avatar        BLOB,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    deactivated   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
-- The index names end in the word the store reports in `Conflict(..)`.
CREATE UNIQUE INDEX users_unique_username ON users (username);
-- NULLs never collide in a unique index, so any number of users may have none.
CREATE UNIQUE INDEX users_unique_email ON users (lower(email));

CREATE TABLE sessions (
    id             BLOB    NOT NULL PRIMARY KEY,
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent     TEXT    NOT NULL,
    ip             TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Every refresh token a session ever had: the current one (spent_at NULL) and
-- the spent ones, kept so that presenting a spent token can be recognised as
-- theft and revoke the session.
CREATE TABLE refresh_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    session_id BLOB    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    spent_at   INTEGER
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

CREATE TABLE rooms (
    id                BLOB    NOT NULL PRIMARY KEY,
    kind              TEXT    NOT NULL CHECK (kind IN ('dm', 'group', 'channel')),
    name              TEXT    NOT NULL,
    topic             TEXT    NOT NULL DEFAULT '',
    description       TEXT    NOT NULL DEFAULT '',
    avatar            BLOB,
    anonymous_allowed INTEGER NOT NULL DEFAULT 0,
    archived          INTEGER NOT NULL DEFAULT 0,
    created_by        BLOB    NOT NULL REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    -- The seq of the room's latest change; bumped in the same transaction as
    -- the change, which is what makes seqs gap-free.
    last_seq          INTEGER NOT NULL DEFAULT 0,
    -- Kept by the triggers below: room lists and channel search show it for
    -- every room, and counting big channels' members on each read is wasteful.
    member_count      INTEGER NOT NULL DEFAULT 0,
    -- "{lower user id}:{higher user id}" for DMs, so a pair has one DM.
    dm_key            TEXT
);
CREATE UNIQUE INDEX rooms_unique_dm ON rooms (dm_key) WHERE dm_key IS NOT NULL;
CREATE INDEX rooms_channels ON rooms (kind, archived);

CREATE TABLE members (
    room_id       BLOB    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'moderator', 'member')),
    joined_at     INTEGER NOT NULL,
    read_seq      INTEGER NOT NULL DEFAULT 0,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    muted         INTEGER NOT NULL DEFAULT 0,
    -- A banned user keeps the row so the ban sticks, but is not a member.
    banned        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id);

CREATE TRIGGER members_count_on_insert AFTER INSERT ON members
WHEN NEW.banned = 0
BEGIN
    UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
END;

CREATE TRIGGER members_count_on_delete AFTER DELETE ON members
WHEN OLD.banned = 0
BEGIN
    UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
END;

CREATE TRIGGER members_count_on_ban AFTER UPDATE OF banned ON members
WHEN OLD.banned != NEW.banned
BEGIN
    UPDATE rooms
    SET member_count = member_count + (CASE WHEN NEW.banned THEN -1 ELSE 1 END)
    WHERE id = NEW.room_id;
END;

CREATE TABLE messages (
    -- An explicit rowid alias: the FTS index refers to messages by rowid, and
    -- VACUUM may renumber an implicit rowid, which would detach the index.
    row_id        INTEGER PRIMARY KEY,
    id            BLOB    NOT NULL UNIQUE,
    room_id       BLOB    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    -- The seq of the message's latest change (= seq until it changes).
    updated_seq   INTEGER NOT NULL,
    sender_id     BLOB    NOT NULL REFERENCES users (id),
    body          TEXT    NOT NULL,
    nonce         TEXT,
    reply_to      BLOB,
    mentions_room INTEGER NOT NULL DEFAULT 0,
    anonymous     INTEGER NOT NULL DEFAULT 0,
    attachments   TEXT    NOT NULL DEFAULT '[]',
    pinned        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    edited_at     INTEGER,
    deleted       INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT messages_unique_seq UNIQUE (room_id, seq),
    CONSTRAINT messages_unique_nonce UNIQUE (room_id, sender_id, nonce)
);
CREATE INDEX messages_by_updated_seq ON messages (room_id, updated_seq);

-- Who a message mentions; seq and room are copied here so that a user's
-- mentions can be counted from this table alone.
CREATE TABLE message_mentions (
    message_id BLOB    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    room_id    BLOB    NOT NULL,
    seq        INTEGER NOT NULL,
    user_id    BLOB    NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE INDEX message_mentions_by_user ON message_mentions (user_id, room_id, seq);

-- Not WITHOUT ROWID: the rowid records insertion order, which orders emoji by
-- first use.
CREATE TABLE reactions (
    message_id BLOB    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- Full-text index over message bodies (external content: the text lives only
-- in `messages`). A tombstone's empty body drops out of the index.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'row_id'
);

CREATE TRIGGER messages_fts_on_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (NEW.row_id, NEW.body);
END;

CREATE TRIGGER messages_fts_on_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', OLD.row_id, OLD.body);
END;

CREATE TRIGGER messages_fts_on_update AFTER UPDATE OF body ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', OLD.row_id, OLD.body);
    INSERT INTO messages_fts (rowid, body) VALUES (NEW.row_id, NEW.body);
END;
