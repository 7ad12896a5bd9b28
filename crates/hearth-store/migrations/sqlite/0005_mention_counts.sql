-- @room messages by room and seq: a room's unread @room mentions are counted
-- from here instead of walking every unread message (see `unread_columns!`).
CREATE INDEX messages_mentioning_room ON messages (room_id, seq) WHERE mentions_room = 1;
