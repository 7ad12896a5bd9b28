-- A room's pinned messages, listed newest first (`pinned_messages`).
CREATE INDEX messages_pinned ON messages (room_id, seq) WHERE pinned;
-- The user's time zone (an IANA name), shown as their local time on their
-- profile card; empty when not given.
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT '';
