-- A message insert moves its room's last_seq within the same statement:
-- one round trip to the writer's thread less per message (the UPDATE that
-- followed each INSERT). `<` keeps it right for rows copied in with their
-- seqs (import).
CREATE TRIGGER messages_move_room_last_seq AFTER INSERT ON messages
BEGIN
    UPDATE rooms SET last_seq = NEW.seq WHERE id = NEW.room_id AND last_seq < NEW.seq;
END;
