-- +goose Up
-- Proof-of-work challenges already redeemed, kept until they expire so
-- that one solution cannot be used twice.
CREATE TABLE pow_spent (
    id         TEXT    PRIMARY KEY,
    expires_at INTEGER  NOT NULL
);
CREATE INDEX pow_spent_expires ON pow_spent (expires_at);

-- +goose Down
DROP TABLE pow_spent;
