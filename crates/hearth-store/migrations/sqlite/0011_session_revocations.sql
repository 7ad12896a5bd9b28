-- Revoked login sessions, kept while their access tokens could still be
-- valid (the server prunes rows older than the access-token lifetime). Every
-- node loads them at start and reads new ones every second, so a revocation
-- made anywhere — another node, `hearth user deactivate` in another process,
-- before a restart — is honoured everywhere. `seq` orders them for that read.
CREATE TABLE session_revocations (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id BLOB    NOT NULL,
    user_id    BLOB    NOT NULL,
    revoked_at INTEGER NOT NULL
);
CREATE INDEX session_revocations_by_time ON session_revocations (revoked_at);

-- Every way a session ends sets its revoked_at once; the trigger records
-- it and drops the session's Web Push subscriptions in the same statement,
-- so no code path (present or future, CLI included) can forget either.
CREATE TRIGGER sessions_record_revocation AFTER UPDATE OF revoked_at ON sessions
WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
BEGIN
    INSERT INTO session_revocations (session_id, user_id, revoked_at)
        VALUES (NEW.id, NEW.user_id, NEW.revoked_at);
    DELETE FROM push_subscriptions WHERE session_id = NEW.id;
END;

-- A Web Push subscription belongs to the login session that made it: it
-- ends with the session. Subscriptions from before this change belong to no
-- session and would outlive every sign-out: they go (the web client
-- subscribes again on its next start).
DELETE FROM push_subscriptions;
ALTER TABLE push_subscriptions ADD COLUMN session_id BLOB REFERENCES sessions (id) ON DELETE CASCADE;
CREATE INDEX push_subscriptions_by_session ON push_subscriptions (session_id);
