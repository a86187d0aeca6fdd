-- +goose Up
-- Pings of cron and backup jobs, and what they say of each heartbeat.
-- Times are Unix milliseconds (runs are timed), registered_at seconds.
CREATE TABLE heartbeat_states (
    uuid             TEXT    PRIMARY KEY,
    registered_at    BIGINT  NOT NULL,
    last_start       BIGINT  NOT NULL DEFAULT 0,
    last_end         BIGINT  NOT NULL DEFAULT 0,
    last_kind        TEXT    NOT NULL DEFAULT '',
    last_exit        BIGINT  NOT NULL DEFAULT -1,
    last_duration_ms BIGINT  NOT NULL DEFAULT 0,
    last_ping_id     BIGINT  NOT NULL DEFAULT 0,
    last_success     BIGINT  NOT NULL DEFAULT 0
);
CREATE TABLE heartbeat_pings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    exit_code   BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    body        BYTEA   NOT NULL,
    size        BIGINT  NOT NULL,
    duration_ms BIGINT  NOT NULL
);
CREATE INDEX heartbeat_pings_uuid ON heartbeat_pings (uuid, id);

-- +goose Down
DROP TABLE heartbeat_pings;
DROP TABLE heartbeat_states;
