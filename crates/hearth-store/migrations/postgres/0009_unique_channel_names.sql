-- Channel names are unique per server, case-insensitively (`lower`).
-- Channels that already share a name keep
-- it for the oldest; each later one gets a suffix: "-2", "-3", … by age, or
-- (if that is taken too) a piece of its id.
UPDATE rooms SET name = name || '-' || (
    SELECT n FROM (
        SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n
        FROM rooms WHERE kind = 'channel'
    ) ranked WHERE ranked.id = rooms.id
)
WHERE kind = 'channel' AND id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n
        FROM rooms WHERE kind = 'channel'
    ) AS dup WHERE n > 1
);
UPDATE rooms SET name = name || '-' || substr(replace(id::text, '-', ''), 27, 6)
WHERE kind = 'channel' AND id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n
        FROM rooms WHERE kind = 'channel'
    ) AS dup WHERE n > 1
);
-- The index name ends in the words the store reports in `Conflict(..)`.
CREATE UNIQUE INDEX rooms_unique_channel_name ON rooms (lower(name)) WHERE kind = 'channel';
