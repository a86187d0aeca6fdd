-- +goose Up
-- Limits counted for all nodes at once when they share this database.
-- Keys (an account, a client address) are stored as SHA-256 hashes, and
-- rows are deleted once their window or bucket no longer matters.

-- Failures per key over a fixed window (logins, binds, sign-ups, mails).
CREATE TABLE ratelimit_failures (
    scope      TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL,
    started_at INTEGER NOT NULL, -- unix milliseconds
    expires_at INTEGER NOT NULL, -- started_at + window
    failures   INTEGER NOT NULL,
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX ratelimit_failures_expires ON ratelimit_failures (expires_at);

-- Token buckets (the token endpoint per client): nodes take tokens in
-- batches; granted is the last batch taken.
CREATE TABLE ratelimit_buckets (
    scope       TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL,
    tokens      REAL    NOT NULL,
    refilled_at INTEGER NOT NULL, -- unix microseconds
    granted     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL, -- unix milliseconds, when it is full again
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX ratelimit_buckets_expires ON ratelimit_buckets (expires_at);

-- +goose Down
DROP TABLE ratelimit_buckets;
DROP TABLE ratelimit_failures;
