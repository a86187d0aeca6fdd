-- +goose Up
-- Pings of cron and backup jobs, and what they say of each heartbeat.
-- Times are Unix milliseconds (runs are timed), registered_at seconds.
CREATE TABLE heartbeat_states (
    uuid             TEXT    PRIMARY KEY,
    registered_at    INTEGER NOT NULL,
    last_start       INTEGER NOT NULL DEFAULT 0,
    last_end         INTEGER NOT NULL DEFAULT 0,
    last_kind        TEXT    NOT NULL DEFAULT '',
    last_exit        INTEGER NOT NULL DEFAULT -1,
    last_duration_ms INTEGER NOT NULL DEFAULT 0,
    last_ping_id     INTEGER NOT NULL DEFAULT 0,
    last_success     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE heartbeat_pings (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    exit_code   INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    body        BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX heartbeat_pings_uuid ON heartbeat_pings (uuid, id);

-- +goose Down
DROP TABLE heartbeat_pings;
DROP TABLE heartbeat_states;
