-- +goose Up
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE,
    email               TEXT    NOT NULL,
    display_name        TEXT    NOT NULL DEFAULT '',
    password_hash       TEXT    NOT NULL DEFAULT '',
    locale              TEXT    NOT NULL DEFAULT 'en',
    state               TEXT    NOT NULL CHECK (state IN ('active', 'disabled', 'pending')),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

CREATE TABLE services (
    name           TEXT    PRIMARY KEY,
    profile_quota  INTEGER NOT NULL DEFAULT 1 CHECK (profile_quota >= 0),
    extra_profiles TEXT    NOT NULL DEFAULT 'refuse' CHECK (extra_profiles IN ('refuse', 'approval')),
    created_at     INTEGER NOT NULL
);

CREATE TABLE profiles (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    service    TEXT    NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('active', 'pending')),
    created_at INTEGER NOT NULL,
    UNIQUE (service, name)
);
CREATE INDEX profiles_account ON profiles (account_id, service);

CREATE TABLE account_groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES account_groups (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_members_account ON group_members (account_id);
INSERT INTO account_groups (name, description, created_at) VALUES ('admin', 'Administrators of this Pelote', 0);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    client       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE setup_tokens (
    token_hash TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE setup_tokens;
DROP TABLE sessions;
DROP TABLE group_members;
DROP TABLE account_groups;
DROP TABLE profiles;
DROP TABLE services;
DROP TABLE accounts;
