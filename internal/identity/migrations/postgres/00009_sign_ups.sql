-- +goose Up
-- A person who signed up, until the account is active: whether a
-- moderator must approve it, what the person wrote for them, and when the
-- address was confirmed. The row goes once the account is active or
-- refused, and with the account when it is purged unconfirmed.
CREATE TABLE sign_ups (
    account_id  BIGINT  PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    moderated   BOOLEAN NOT NULL DEFAULT FALSE,
    reason      TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    verified_at BIGINT  NOT NULL DEFAULT 0
);
-- Sign-ups whose address was never confirmed are purged by age.
CREATE INDEX sign_ups_unverified ON sign_ups (created_at) WHERE verified_at = 0;

-- +goose Down
DROP TABLE sign_ups;
