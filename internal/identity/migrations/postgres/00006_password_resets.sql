-- +goose Up
-- "Forgot password" links: single use, one hour, stored as hashes.
CREATE TABLE password_resets (
    token_hash TEXT    PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX password_resets_account ON password_resets (account_id);

-- +goose Down
DROP TABLE password_resets;
