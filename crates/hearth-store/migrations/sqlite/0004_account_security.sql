-- Account security: two-factor authentication (TOTP) with recovery codes,
-- e-mail verification, and single-use links sent by e-mail.

ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
-- The TOTP secret as the server sealed it (never in the clear). Set by
-- setup; it guards logins only once `totp_enabled` is 1.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
-- The latest 30-second time step whose code was accepted: a code is good
-- for one login only, even within its validity window.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- One-time codes that stand in for a TOTP code when the device is lost.
-- Only their SHA-256 is kept; a used code keeps its row (used_at set).
CREATE TABLE recovery_codes (
    user_id BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    TEXT    NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, hash)
) WITHOUT ROWID;

-- Password-reset and e-mail-verification links: only the SHA-256 of the
-- token in the link is kept. `email` is the address the link was sent to, so
-- a verification proves that address and no other.
CREATE TABLE email_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
-- Counting a user's recent tokens (rate limit) and spending them together.
CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose, created_at);
