-- A user's uploads with their sizes: the upload quota sums them from here
-- instead of reading every upload.
CREATE INDEX uploads_by_uploader ON uploads (uploader_id, size);

-- Search by room and words in one index: a user's search reads the postings
-- of their rooms only, not every match on the server (btree_gin lets a GIN
-- index hold room_id; it is a trusted extension, like unaccent). The
-- two-column index serves word-only lookups too, so it replaces the old one.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX messages_search_by_room ON messages USING gin (room_id, search);
DROP INDEX messages_search;
