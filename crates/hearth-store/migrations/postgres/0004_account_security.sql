-- Account security: two-factor authentication (TOTP) with recovery codes,
-- e-mail verification, and single-use links sent by e-mail; as
-- migrations/sqlite/0004_account_security.sql.

ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
-- The TOTP secret as the server sealed it (never in the clear). Set by
-- setup; it guards logins only once `totp_enabled` is true.
ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;
-- The latest 30-second time step whose code was accepted: a code is good
-- for one login only, even within its validity window.
ALTER TABLE users ADD COLUMN totp_last_step bigint;

-- One-time codes that stand in for a TOTP code when the device is lost.
-- Only their SHA-256 is kept; a used code keeps its row (used_at set).
CREATE TABLE recovery_codes (
    user_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    text        NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, hash)
);

-- Password-reset and e-mail-verification links: only the SHA-256 of the
-- token in the link is kept.
CREATE TABLE email_tokens (
    hash       text        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT email_tokens_unique_hash PRIMARY KEY (hash)
);
-- Counting a user's recent tokens (rate limit) and spending them together.
CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose, created_at);
