-- +goose Up
-- Supervision: each check's state machine, its raw results (kept 48 h),
-- hourly roll-ups, incidents and maintenance windows. Checks themselves
-- live in the configuration and are named here. Times are Unix seconds.
CREATE TABLE monitor_states (
    name        TEXT    PRIMARY KEY,
    status      TEXT    NOT NULL,
    fails       INTEGER NOT NULL,
    successes   INTEGER NOT NULL,
    since       INTEGER NOT NULL,
    alerted     INTEGER NOT NULL,
    notified    INTEGER NOT NULL,
    flapping    INTEGER NOT NULL,
    changes     TEXT    NOT NULL,
    last_at     INTEGER NOT NULL,
    last_ok     INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    args        TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    cert_days   REAL,
    incident_id INTEGER NOT NULL
);
CREATE TABLE monitor_results (
    name       TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    latency_us INTEGER NOT NULL
);
CREATE INDEX monitor_results_at ON monitor_results (at);
CREATE INDEX monitor_results_name ON monitor_results (name, at);
CREATE TABLE monitor_hourly (
    name     TEXT    NOT NULL,
    hour     INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    lat_min  INTEGER NOT NULL,
    lat_avg  INTEGER NOT NULL,
    lat_max  INTEGER NOT NULL,
    lat_p95  INTEGER NOT NULL,
    PRIMARY KEY (name, hour)
);
CREATE INDEX monitor_hourly_hour ON monitor_hourly (hour);
CREATE TABLE monitor_incidents (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER NOT NULL DEFAULT 0,
    reason     TEXT    NOT NULL,
    args       TEXT    NOT NULL
);
CREATE INDEX monitor_incidents_name ON monitor_incidents (name, started_at);
CREATE TABLE monitor_silences (
    id         INTEGER PRIMARY KEY,
    check_name TEXT    NOT NULL DEFAULT '',
    tag        TEXT    NOT NULL DEFAULT '',
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
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
