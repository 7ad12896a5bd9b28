-- `unread` (rooms::unread_columns) walks a room's messages from the read
-- marker, up to 100, skipping deleted ones and the reader's own: with the
-- sender and the deleted flag in the index that walk never visits the
-- table (36 → 20 µs for a full count of 100, warm cache), which every
-- connect pays for every room with a backlog.
CREATE INDEX messages_unread ON messages (room_id, seq, sender_id, deleted);
