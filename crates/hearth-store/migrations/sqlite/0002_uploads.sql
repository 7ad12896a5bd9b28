-- Uploads (files, images, voice messages) and which messages carry them.
--
-- The bytes live in blob storage, content-addressed by SHA-256: several
-- uploads (rows) may share one blob, which is deleted only when no row
-- references its hash any more.

CREATE TABLE uploads (
    id           BLOB    NOT NULL PRIMARY KEY,
    uploader_id  BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Already sanitised by the server.
    filename     TEXT    NOT NULL,
    -- Sniffed from the bytes, never taken from the client.
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    -- Lower-case hex; the blob's key.
    sha256       TEXT    NOT NULL,
    -- Images: dimensions as displayed (EXIF orientation applied).
    width        INTEGER,
    height       INTEGER,
    -- Voice messages: as the client measured them, validated by the server.
    duration_ms  INTEGER,
    -- Up to 256 amplitude samples, one byte each.
    waveform     BLOB,
    -- The content type of the server-made renditions (thumbnail, avatar);
    -- NULL when the upload has none (not an image).
    preview_type TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX uploads_by_sha256 ON uploads (sha256);
-- The orphan sweep walks uploads oldest first.
CREATE INDEX uploads_by_created_at ON uploads (created_at);

-- One row per (live message, upload). Rows come and go with the message:
-- inserted with it, removed when it becomes a tombstone. So "is this upload
-- on a message that user X can read" is an index walk: upload → message →
-- membership. The message's own `attachments` column keeps the order.
-- No foreign key to uploads: a message may name an upload this store has
-- never seen (the server checks before sending), and the readers of this
-- table skip ids without a row.
CREATE TABLE message_attachments (
    upload_id  BLOB NOT NULL,
    message_id BLOB NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (upload_id, message_id)
) WITHOUT ROWID;
CREATE INDEX message_attachments_by_message ON message_attachments (message_id);

-- The server refused attachments before this migration; carry over any a
-- message holds all the same (ids are hyphenated UUID strings in the JSON).
INSERT OR IGNORE INTO message_attachments (upload_id, message_id)
SELECT unhex(replace(j.value, '-', '')), m.id
FROM messages m, json_each(m.attachments) j
WHERE m.deleted = 0;

-- The orphan sweep keeps uploads that are someone's avatar.
CREATE INDEX users_by_avatar ON users (avatar) WHERE avatar IS NOT NULL;
CREATE INDEX rooms_by_avatar ON rooms (avatar) WHERE avatar IS NOT NULL;
