-- +goose Up
-- Limits counted for all nodes at once when they share this database.
-- Keys (an account, a client address) are stored as SHA-256 hashes, and
-- rows are deleted once their window or bucket no longer matters.
-- UNLOGGED: counts are worth minutes, so they skip the write-ahead log
-- and a failed login waits for no disk flush; a crash of the database
-- server empties them, as a restart of one node empties its own.

-- Failures per key over a fixed window (logins, binds, sign-ups, mails).
CREATE UNLOGGED TABLE ratelimit_failures (
    scope      TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL,
    started_at BIGINT  NOT NULL, -- unix milliseconds
    expires_at BIGINT  NOT NULL, -- started_at + window
    failures   INTEGER NOT NULL,
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX ratelimit_failures_expires ON ratelimit_failures (expires_at);

-- Token buckets (the token endpoint per client): nodes take tokens in
-- batches; granted is the last batch taken.
CREATE UNLOGGED TABLE ratelimit_buckets (
    scope       TEXT             NOT NULL,
    key_hash    TEXT             NOT NULL,
    tokens      DOUBLE PRECISION NOT NULL,
    refilled_at BIGINT           NOT NULL, -- unix microseconds
    granted     INTEGER          NOT NULL,
    expires_at  BIGINT           NOT NULL, -- unix milliseconds, when it is full again
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX ratelimit_buckets_expires ON ratelimit_buckets (expires_at);

-- +goose Down
DROP TABLE ratelimit_buckets;
DROP TABLE ratelimit_failures;
