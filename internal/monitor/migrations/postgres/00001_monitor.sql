-- +goose Up
-- Supervision: each check's state machine, its raw results (kept 48 h),
-- hourly roll-ups, incidents and maintenance windows. Checks themselves
-- live in the configuration and are named here. Times are Unix seconds.
CREATE TABLE monitor_states (
    name        TEXT    PRIMARY KEY,
    status      TEXT    NOT NULL,
    fails       BIGINT  NOT NULL,
    successes   BIGINT  NOT NULL,
    since       BIGINT  NOT NULL,
    alerted     BIGINT  NOT NULL,
    notified    BIGINT  NOT NULL,
    flapping    BIGINT  NOT NULL,
    changes     TEXT    NOT NULL,
    last_at     BIGINT  NOT NULL,
    last_ok     BIGINT  NOT NULL,
    latency_us  BIGINT  NOT NULL,
    reason      TEXT    NOT NULL,
    args        TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    cert_days   DOUBLE PRECISION,
    incident_id BIGINT  NOT NULL
);
CREATE TABLE monitor_results (
    name       TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    ok         BIGINT  NOT NULL,
    latency_us BIGINT  NOT NULL
);
CREATE INDEX monitor_results_at ON monitor_results (at);
CREATE INDEX monitor_results_name ON monitor_results (name, at);
CREATE TABLE monitor_hourly (
    name     TEXT    NOT NULL,
    hour     BIGINT  NOT NULL,
    count    BIGINT  NOT NULL,
    failures BIGINT  NOT NULL,
    lat_min  BIGINT  NOT NULL,
    lat_avg  BIGINT  NOT NULL,
    lat_max  BIGINT  NOT NULL,
    lat_p95  BIGINT  NOT NULL,
    PRIMARY KEY (name, hour)
);
CREATE INDEX monitor_hourly_hour ON monitor_hourly (hour);
CREATE TABLE monitor_incidents (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT    NOT NULL,
    started_at BIGINT  NOT NULL,
    ended_at   BIGINT  NOT NULL DEFAULT 0,
    reason     TEXT    NOT NULL,
    args       TEXT    NOT NULL
);
CREATE INDEX monitor_incidents_name ON monitor_incidents (name, started_at);
CREATE TABLE monitor_silences (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name TEXT    NOT NULL DEFAULT '',
    tag        TEXT    NOT NULL DEFAULT '',
    starts_at  BIGINT  NOT NULL,
    ends_at    BIGINT  NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL DEFAULT '',
    CHECK ((check_name = '') <> (tag = ''))
);

-- +goose Down
DROP TABLE monitor_silences;
DROP TABLE monitor_incidents;
DROP TABLE monitor_hourly;
DROP TABLE monitor_results;
DROP TABLE monitor_states;
