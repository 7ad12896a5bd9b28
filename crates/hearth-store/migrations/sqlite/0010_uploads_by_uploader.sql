-- A user's uploads with their sizes: the upload quota sums them from here
-- instead of reading every upload.
CREATE INDEX uploads_by_uploader ON uploads (uploader_id, size);
