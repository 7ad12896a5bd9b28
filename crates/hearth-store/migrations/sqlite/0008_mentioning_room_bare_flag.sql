-- The @room partial index, with its condition spelt as the shared queries
-- spell it (`AND m.mentions_room`, which PostgreSQL reads too): SQLite uses a
-- partial index only when the query repeats its WHERE term, and `= 1` is
-- not the same term. The rows it covers are the same.
DROP INDEX messages_mentioning_room;
CREATE INDEX messages_mentioning_room ON messages (room_id, seq) WHERE mentions_room;
