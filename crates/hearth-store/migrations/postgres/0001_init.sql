-- Hearth's PostgreSQL schema: the same tables as the SQLite one
-- (migrations/sqlite/0001_init.sql), in PostgreSQL's native types.
--
-- Conventions: ids are `uuid`; times are `timestamptz` (microseconds, UTC);
-- booleans are `boolean`; a message's attachments are a `uuid[]` (ordered).
-- Unique constraints and indexes are named: the store reports a violation of
-- one as `Conflict(..)` by its name.

CREATE TABLE users (
    id            uuid        NOT NULL PRIMARY KEY,
    -- Stored lower-cased by the store, so plain equality is case-insensitive.
    username      text        NOT NULL,
    display_name  text        NOT NULL,
    -- Kept as typed (mail servers may care); uniqueness ignores case.
    email         text,
    password_hash text        NOT NULL,
    bio           text        NOT NULL DEFAULT '',
    status_text   text        NOT NULL DEFAULT '',
    avatar        uuid,
    is_admin      boolean     NOT NULL DEFAULT false,
    deactivated   boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_unique_username ON users (username);
-- NULLs never collide in a unique index, so any number of users may have none.
CREATE UNIQUE INDEX users_unique_email ON users (lower(email));

CREATE TABLE sessions (
    id             uuid        NOT NULL PRIMARY KEY,
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent     text        NOT NULL,
    ip             text        NOT NULL,
    created_at     timestamptz NOT NULL,
    last_active_at timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Every refresh token a session ever had: the current one (spent_at NULL) and
-- the spent ones, kept so that presenting a spent token can be recognised as
-- theft and revoke the session.
CREATE TABLE refresh_tokens (
    hash       text        NOT NULL,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    spent_at   timestamptz,
    CONSTRAINT refresh_tokens_unique_hash PRIMARY KEY (hash)
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

CREATE TABLE rooms (
    id                uuid        NOT NULL PRIMARY KEY,
    kind              text        NOT NULL CHECK (kind IN ('dm', 'group', 'channel')),
    name              text        NOT NULL,
    topic             text        NOT NULL DEFAULT '',
    description       text        NOT NULL DEFAULT '',
    avatar            uuid,
    anonymous_allowed boolean     NOT NULL DEFAULT false,
    archived          boolean     NOT NULL DEFAULT false,
    created_by        uuid        NOT NULL REFERENCES users (id),
    created_at        timestamptz NOT NULL,
    -- The seq of the room's latest change; bumped (row-locked) in the same
    -- transaction as the change, which is what makes seqs gap-free.
    last_seq          bigint      NOT NULL DEFAULT 0,
    -- Kept by the trigger below: room lists and channel search show it for
    -- every room, and counting big channels' members on each read is wasteful.
    member_count      bigint      NOT NULL DEFAULT 0,
    -- "{lower user id}:{higher user id}" for DMs, so a pair has one DM.
    dm_key            text
);
CREATE UNIQUE INDEX rooms_unique_dm ON rooms (dm_key) WHERE dm_key IS NOT NULL;
CREATE INDEX rooms_channels ON rooms (kind, archived);

CREATE TABLE members (
    room_id       uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          text        NOT NULL CHECK (role IN ('owner', 'admin', 'moderator', 'member')),
    joined_at     timestamptz NOT NULL,
    read_seq      bigint      NOT NULL DEFAULT 0,
    delivered_seq bigint      NOT NULL DEFAULT 0,
    muted         boolean     NOT NULL DEFAULT false,
    -- A banned user keeps the row so the ban sticks, but is not a member.
    banned        boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id);

CREATE FUNCTION members_keep_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT NEW.banned THEN
            UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT OLD.banned THEN
            UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
        END IF;
        RETURN OLD;
    ELSE
        IF OLD.banned <> NEW.banned THEN
            UPDATE rooms
            SET member_count = member_count + (CASE WHEN NEW.banned THEN -1 ELSE 1 END)
            WHERE id = NEW.room_id;
        END IF;
        RETURN NEW;
    END IF;
END;
$$;

CREATE TRIGGER members_count AFTER INSERT OR DELETE OR UPDATE OF banned ON members
FOR EACH ROW EXECUTE FUNCTION members_keep_count();

CREATE TABLE messages (
    id            uuid        NOT NULL PRIMARY KEY,
    room_id       uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq           bigint      NOT NULL,
    -- The seq of the message's latest change (= seq until it changes).
    updated_seq   bigint      NOT NULL,
    sender_id     uuid        NOT NULL REFERENCES users (id),
    body          text        NOT NULL,
    nonce         text,
    reply_to      uuid,
    mentions_room boolean     NOT NULL DEFAULT false,
    anonymous     boolean     NOT NULL DEFAULT false,
    attachments   uuid[]      NOT NULL DEFAULT '{}',
    pinned        boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    edited_at     timestamptz,
    deleted       boolean     NOT NULL DEFAULT false,
    CONSTRAINT messages_unique_seq UNIQUE (room_id, seq),
    -- Idempotent sends across nodes: the loser of a race re-reads the winner.
    CONSTRAINT messages_unique_nonce UNIQUE (room_id, sender_id, nonce)
);
CREATE INDEX messages_by_updated_seq ON messages (room_id, updated_seq);

-- Who a message mentions; seq and room are copied here so that a user's
-- mentions can be counted from this table alone.
CREATE TABLE message_mentions (
    message_id uuid   NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    room_id    uuid   NOT NULL,
    seq        bigint NOT NULL,
    user_id    uuid   NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_mentions_by_user ON message_mentions (user_id, room_id, seq);

CREATE TABLE reactions (
    message_id uuid        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      text        NOT NULL,
    created_at timestamptz NOT NULL,
    -- Insertion order, which orders emoji by first use (SQLite's rowid).
    position   bigint      GENERATED BY DEFAULT AS IDENTITY,
    PRIMARY KEY (message_id, user_id, emoji)
);
