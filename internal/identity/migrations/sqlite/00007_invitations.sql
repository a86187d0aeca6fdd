-- +goose Up
-- Invitation links (single use, expiring, optionally with groups) and
-- e-mail verification links, both stored as hashes.
CREATE TABLE invitations (
    token_hash TEXT    PRIMARY KEY,
    groups     TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE TABLE email_verifications (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE email_verifications;
DROP TABLE invitations;
