-- +goose Up
-- App passwords: one per device or application that cannot ask for a
-- second factor (LDAP binds today, IMAP and SMTP later). Random values,
-- stored as SHA-256 hashes; shown once.
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
);

-- +goose Down
DROP TABLE app_passwords;
