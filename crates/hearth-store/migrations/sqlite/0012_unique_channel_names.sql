-- Channel names are unique per server, case-insensitively (`lower`, which in
-- SQLite folds ASCII letters only). Channels that already share a name keep
-- it for the oldest; each later one gets a suffix: "-2", "-3", … by age, or
-- (if that is taken too) a piece of its id.
-- Ranked once, before any rename: a subquery in the UPDATE itself would
-- see the rows it already renamed and rank the rest again.
CREATE TEMP TABLE channel_name_rank AS
    SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n
    FROM rooms WHERE kind = 'channel';
UPDATE rooms SET name = name || '-' || (
    SELECT n FROM channel_name_rank ranked WHERE ranked.id = rooms.id
)
WHERE id IN (SELECT id FROM channel_name_rank WHERE n > 1);
DROP TABLE channel_name_rank;
UPDATE rooms SET name = name || '-' || lower(substr(hex(id), 27, 6))
WHERE kind = 'channel' AND id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n
        FROM rooms WHERE kind = 'channel'
    ) AS dup WHERE n > 1
);
-- The index name ends in the words the store reports in `Conflict(..)`.
CREATE UNIQUE INDEX rooms_unique_channel_name ON rooms (lower(name)) WHERE kind = 'channel';
