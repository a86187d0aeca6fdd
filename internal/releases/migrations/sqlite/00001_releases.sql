-- +goose Up
-- What each upstream answered last: its validators for the next
-- conditional request, and the latest version it offered.
CREATE TABLE release_sources (
    source         TEXT    PRIMARY KEY,
    settings       TEXT    NOT NULL DEFAULT '',
    etag           TEXT    NOT NULL DEFAULT '',
    last_modified  TEXT    NOT NULL DEFAULT '',
    checked_at     INTEGER NOT NULL DEFAULT 0,
    latest         TEXT    NOT NULL DEFAULT '',
    latest_tag     TEXT    NOT NULL DEFAULT '',
    latest_url     TEXT    NOT NULL DEFAULT '',
    latest_at      INTEGER NOT NULL DEFAULT 0,
    security       INTEGER NOT NULL DEFAULT 0,
    problem        TEXT    NOT NULL DEFAULT '',
    problem_detail TEXT    NOT NULL DEFAULT ''
);
-- The running version of each service, as last read.
CREATE TABLE release_running (
    service        TEXT    PRIMARY KEY,
    version        TEXT    NOT NULL DEFAULT '',
    read_at        INTEGER NOT NULL DEFAULT 0,
    problem        TEXT    NOT NULL DEFAULT '',
    problem_detail TEXT    NOT NULL DEFAULT ''
);
-- One row per new version per service that operators were told of.
CREATE TABLE release_notices (
    service     TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    notified_at INTEGER NOT NULL,
    PRIMARY KEY (service, version)
);
-- Forges that asked to be left alone until a time.
CREATE TABLE release_limits (
    host  TEXT    PRIMARY KEY,
    until INTEGER NOT NULL
);

-- +goose Down
DROP TABLE release_limits;
DROP TABLE release_notices;
DROP TABLE release_running;
DROP TABLE release_sources;
