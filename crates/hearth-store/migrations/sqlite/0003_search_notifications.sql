-- Search and notifications.

-- 1. The full-text index gets a second column, `room`: one token per message
--    naming its room ("r" + the room id in lower-case hex). A search by a
--    user who is in few rooms ANDs the words with those rooms' tokens, so
--    FTS5 walks only those rooms' postings instead of every match on the
--    server; the membership join still decides what may be read. The source
--    is a view, so `messages` needs no extra column. The tokenizer now folds
--    diacritics in every script (remove_diacritics 2: "cafe" finds "café").
--    The last word of a search also matches as a prefix; without an index of
--    2- and 3-character prefixes FTS5 answers "th*" by merging the postings
--    of every word starting with "th" (tens of milliseconds per 100,000
--    messages). The prefix index costs about 2.5x the size of the FTS index.
DROP TRIGGER messages_fts_on_insert;
DROP TRIGGER messages_fts_on_delete;
DROP TRIGGER messages_fts_on_update;
DROP TABLE messages_fts;

CREATE VIEW messages_fts_source AS
SELECT row_id, body, 'r' || lower(hex(room_id)) AS room FROM messages;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    room,
    content = 'messages_fts_source',
    content_rowid = 'row_id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_on_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_fts (rowid, body, room)
    VALUES (NEW.row_id, NEW.body, 'r' || lower(hex(NEW.room_id)));
END;

CREATE TRIGGER messages_fts_on_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, room)
    VALUES ('delete', OLD.row_id, OLD.body, 'r' || lower(hex(OLD.room_id)));
END;

-- Edits and deletes (a tombstone's body is empty) change the body only; a
-- message never moves to another room.
CREATE TRIGGER messages_fts_on_update AFTER UPDATE OF body ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, room)
    VALUES ('delete', OLD.row_id, OLD.body, 'r' || lower(hex(OLD.room_id)));
    INSERT INTO messages_fts (rowid, body, room)
    VALUES (NEW.row_id, NEW.body, 'r' || lower(hex(NEW.room_id)));
END;

-- 2. Per-room notification level; NULL follows the room kind's default
--    (DMs: all, groups and channels: mentions).
ALTER TABLE members ADD COLUMN notify_level TEXT
    CHECK (notify_level IN ('all', 'mentions', 'none'));
-- Who wants every message of a room, looked up on each send.
CREATE INDEX members_notify_all ON members (room_id, user_id) WHERE notify_level = 'all';

-- 3. Do-not-disturb (no pushes, no mail) until this time (unix ms); NULL: off.
ALTER TABLE users ADD COLUMN dnd_until INTEGER;

-- 4. E-mail digests: the creation time (unix ms) up to which a user's unread
--    mentions and DMs have been mailed; NULL: the account's creation time.
--    Existing accounts start now, so nobody gets mail about old history.
ALTER TABLE users ADD COLUMN digest_watermark INTEGER;
UPDATE users SET digest_watermark = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);

-- 5. Web Push subscriptions (one per browser; the endpoint names it).
CREATE TABLE push_subscriptions (
    id         BLOB    NOT NULL PRIMARY KEY,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   TEXT    NOT NULL,
    -- The browser's P-256 public key and auth secret, base64url as given.
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_subscriptions_unique_endpoint ON push_subscriptions (endpoint);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);
