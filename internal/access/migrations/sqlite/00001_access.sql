-- +goose Up
-- Machine access (Picasoft's model): members' SSH keys, the hosts that
-- ask for them, and who may reach which host, as a member or a group.
CREATE TABLE ssh_keys (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, fingerprint)
);
CREATE TABLE hosts (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE TABLE host_access (
    host_id    INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    group_id   INTEGER REFERENCES account_groups (id) ON DELETE CASCADE,
    CHECK ((account_id IS NULL) <> (group_id IS NULL))
);
-- NULLs are distinct in UNIQUE constraints: one partial index per kind.
CREATE UNIQUE INDEX host_access_account ON host_access (host_id, account_id) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX host_access_group ON host_access (host_id, group_id) WHERE group_id IS NOT NULL;

-- +goose Down
DROP TABLE host_access;
DROP TABLE hosts;
DROP TABLE ssh_keys;
