-- Uploads (files, images, voice messages) and which messages carry them; as
-- migrations/sqlite/0002_uploads.sql.
--
-- The bytes live in blob storage, content-addressed by SHA-256: several
-- uploads (rows) may share one blob, which is deleted only when no row
-- references its hash any more.

CREATE TABLE uploads (
    id           uuid        NOT NULL,
    uploader_id  uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Already sanitised by the server.
    filename     text        NOT NULL,
    -- Sniffed from the bytes, never taken from the client.
    content_type text        NOT NULL,
    size         bigint      NOT NULL,
    -- Lower-case hex; the blob's key.
    sha256       text        NOT NULL,
    -- Images: dimensions as displayed (EXIF orientation applied).
    width        bigint,
    height       bigint,
    -- Voice messages: as the client measured them, validated by the server.
    duration_ms  bigint,
    -- Up to 256 amplitude samples, one byte each.
    waveform     bytea,
    -- The content type of the server-made renditions (thumbnail, avatar);
    -- NULL when the upload has none (not an image).
    preview_type text,
    created_at   timestamptz NOT NULL,
    CONSTRAINT uploads_unique_id PRIMARY KEY (id)
);
CREATE INDEX uploads_by_sha256 ON uploads (sha256);
-- The orphan sweep walks uploads oldest first.
CREATE INDEX uploads_by_created_at ON uploads (created_at);

-- One row per (live message, upload): inserted with the message, removed when
-- it becomes a tombstone. No foreign key to uploads (see the SQLite schema).
CREATE TABLE message_attachments (
    upload_id  uuid NOT NULL,
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (upload_id, message_id)
);
CREATE INDEX message_attachments_by_message ON message_attachments (message_id);

-- The orphan sweep keeps uploads that are someone's avatar.
CREATE INDEX users_by_avatar ON users (avatar) WHERE avatar IS NOT NULL;
CREATE INDEX rooms_by_avatar ON rooms (avatar) WHERE avatar IS NOT NULL;
