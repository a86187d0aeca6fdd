-- +goose Up
-- Relying parties. Lists are newline-separated: they are read whole, never queried into.
CREATE TABLE oidc_clients (
    id                     TEXT    PRIMARY KEY,
    service                TEXT    NOT NULL REFERENCES services (name),
    secret_hash            TEXT    NOT NULL DEFAULT '',
    public                 INTEGER NOT NULL DEFAULT 0,
    redirect_uris          TEXT    NOT NULL DEFAULT '',
    post_logout_uris       TEXT    NOT NULL DEFAULT '',
    backchannel_logout_uri TEXT    NOT NULL DEFAULT '',
    grant_types            TEXT    NOT NULL,
    extra_scopes           TEXT    NOT NULL DEFAULT '',
    signing_alg            TEXT    NOT NULL DEFAULT 'RS256',
    access_token_type      TEXT    NOT NULL DEFAULT 'opaque' CHECK (access_token_type IN ('opaque', 'jwt')),
    require_pkce           INTEGER NOT NULL DEFAULT 0,
    first_party            INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL
);
CREATE TABLE oidc_client_groups (
    client_id TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES account_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, group_id)
);

-- Signing keys, private halves sealed with the master secret.
CREATE TABLE oidc_keys (
    id          TEXT    PRIMARY KEY,
    alg         TEXT    NOT NULL,
    sealed      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    active_from INTEGER NOT NULL,
    retire_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- The stable, opaque `sub` of each profile.
CREATE TABLE oidc_subjects (
    profile_id INTEGER PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    subject    TEXT    NOT NULL UNIQUE
);

CREATE TABLE oidc_auth_requests (
    id              TEXT    PRIMARY KEY,
    client_id       TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    request         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    account_id      INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    profile_id      INTEGER REFERENCES profiles (id) ON DELETE CASCADE,
    session_id      INTEGER,
    auth_time       INTEGER NOT NULL DEFAULT 0,
    amr             TEXT    NOT NULL DEFAULT '',
    done            INTEGER NOT NULL DEFAULT 0,
    consented       INTEGER NOT NULL DEFAULT 0,
    code_hash       TEXT    UNIQUE,
    code_expires_at INTEGER NOT NULL DEFAULT 0,
    code_used_at    INTEGER NOT NULL DEFAULT 0,
    grant_id        INTEGER
);
CREATE INDEX oidc_auth_requests_expiry ON oidc_auth_requests (expires_at);

-- A grant is one sign-in of a profile to a client; its tokens die with it.
CREATE TABLE oidc_grants (
    id           INTEGER PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    profile_id   INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    scopes       TEXT    NOT NULL,
    session_id   INTEGER,
    auth_time    INTEGER NOT NULL,
    amr          TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oidc_grants_account ON oidc_grants (account_id);
CREATE INDEX oidc_grants_session ON oidc_grants (session_id);

CREATE TABLE oidc_tokens (
    id         TEXT    PRIMARY KEY,
    grant_id   INTEGER NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    hash       TEXT    UNIQUE,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_expiry ON oidc_tokens (expires_at);

-- Revoked JWT access tokens (client credentials), until they expire anyway.
CREATE TABLE oidc_revoked_jwts (
    id         TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- What a person agreed to per client, and the profile they chose for it.
CREATE TABLE oidc_consents (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL DEFAULT '',
    profile_id INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- +goose Down
DROP TABLE oidc_consents;
DROP TABLE oidc_revoked_jwts;
DROP TABLE oidc_tokens;
DROP TABLE oidc_grants;
DROP TABLE oidc_auth_requests;
DROP TABLE oidc_subjects;
DROP TABLE oidc_keys;
DROP TABLE oidc_client_groups;
DROP TABLE oidc_clients;
