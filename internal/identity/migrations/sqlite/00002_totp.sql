-- +goose Up
-- Second factor: the confirmed seed, a seed being enrolled (both sealed
-- with the master secret) and the last time step accepted (no replay).
CREATE TABLE account_totp (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret         TEXT    NOT NULL DEFAULT '',
    pending_secret TEXT    NOT NULL DEFAULT '',
    enabled_at     INTEGER NOT NULL DEFAULT 0,
    last_step      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE totp_recovery_codes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, code_hash)
);
ALTER TABLE account_groups ADD COLUMN require_totp INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE account_groups DROP COLUMN require_totp;
DROP TABLE totp_recovery_codes;
DROP TABLE account_totp;
