PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE pelote_store_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_store_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_store_version VALUES(2,1,1,'2026-12-01 05:04:01');
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE pelote_identity_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_identity_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(2,1,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(3,2,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(4,3,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(5,4,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(6,5,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(7,6,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(8,7,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(9,8,1,'2026-12-01 05:04:01');
INSERT INTO pelote_identity_version VALUES(10,9,1,'2026-12-01 05:04:01');
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
INSERT INTO accounts VALUES(1,'root','root@example.org','Root','$argon2id$v=19$m=19456,t=1,p=1$1Vrs1pEuFg3AP0fv3rYEvQ$LupbqdV2udC7KIs9ViNcyct8lmIftIv5P24h/gR9GaQ','en','active',1796101441,1796101441,1796101441);
INSERT INTO accounts VALUES(2,'alice','alice@example.org','Alice Ä','$argon2id$v=19$m=19456,t=1,p=1$0mv/HaZcIaRr5Gn6u2jqyQ$Blrj03tNT5dC3TQOYd/6KcXaN0oBMJ+HeR3x3Mcw01s','fr','active',1796101441,1796101441,1796101441);
INSERT INTO accounts VALUES(3,'bob','bob@example.org','','$argon2id$v=19$m=19456,t=1,p=1$IPR4uHhiy2HMSbeAgsfh6A$XW1d5r1DLCk+/M/HglRQhPNzrn0b20lJahEGVoIEC+o','en','disabled',1796101441,1796101441,1796101441);
CREATE TABLE services (
    name           TEXT    PRIMARY KEY,
    profile_quota  INTEGER NOT NULL DEFAULT 1 CHECK (profile_quota >= 0),
    extra_profiles TEXT    NOT NULL DEFAULT 'refuse' CHECK (extra_profiles IN ('refuse', 'approval')),
    created_at     INTEGER NOT NULL
);
INSERT INTO services VALUES('wiki',2,'approval',1796101441);
INSERT INTO services VALUES('pad',1,'refuse',1796101441);
CREATE TABLE profiles (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    service    TEXT    NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('active', 'pending')),
    created_at INTEGER NOT NULL,
    UNIQUE (service, name)
);
INSERT INTO profiles VALUES(1,2,'wiki','alice-wiki','active',1796101441);
CREATE TABLE account_groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
, require_totp INTEGER NOT NULL DEFAULT 0);
INSERT INTO account_groups VALUES(1,'admin','Administrators of this Pelote',0,0);
INSERT INTO account_groups VALUES(2,'staff','The staff',1796101441,0);
CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES account_groups (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, account_id)
);
INSERT INTO group_members VALUES(1,1);
INSERT INTO group_members VALUES(2,2);
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    client       TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE setup_tokens (
    token_hash TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE account_totp (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret         TEXT    NOT NULL DEFAULT '',
    pending_secret TEXT    NOT NULL DEFAULT '',
    enabled_at     INTEGER NOT NULL DEFAULT 0,
    last_step      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE totp_recovery_codes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, code_hash)
);
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO directory_version VALUES(1,10);
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
);
INSERT INTO app_passwords VALUES(1,2,'thunderbird','affabe61c699f3d8a2002e4cb96fc01bce89b358dd05d703d496075e78bf7737',1796101441,0);
CREATE TABLE password_resets (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE invitations (
    token_hash TEXT    PRIMARY KEY,
    groups     TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL
);
INSERT INTO invitations VALUES('d181fa496cc102a0f89d54552710ade2ef7c6a8a9de19edadc062bd3cae84c54','staff','for carol',1796101441,1796706241,0,NULL);
CREATE TABLE email_verifications (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE email_changes (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sign_ups (
    account_id  INTEGER  PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    moderated   INTEGER NOT NULL DEFAULT 0,
    reason      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER  NOT NULL,
    verified_at INTEGER  NOT NULL DEFAULT 0
);
CREATE TABLE pelote_openid_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_openid_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_openid_version VALUES(2,1,1,'2026-12-01 05:04:01');
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
INSERT INTO oidc_clients VALUES('pad','pad','b2fc6602ac410b99508692acf30ed35842ea944c45496162b3466e697fe3a435',0,'https://pad.example.org/cb','','',replace('authorization_code\nrefresh_token','\n',char(10)),'','RS256','opaque',0,0,1796101441);
CREATE TABLE oidc_client_groups (
    client_id TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES account_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, group_id)
);
INSERT INTO oidc_client_groups VALUES('pad',2);
CREATE TABLE oidc_keys (
    id          TEXT    PRIMARY KEY,
    alg         TEXT    NOT NULL,
    sealed      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    active_from INTEGER NOT NULL,
    retire_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
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
CREATE TABLE oidc_revoked_jwts (
    id         TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE oidc_consents (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL DEFAULT '',
    profile_id INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
CREATE TABLE pelote_queue_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_queue_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_queue_version VALUES(2,1,1,'2026-12-01 05:04:01');
CREATE TABLE queue_jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    payload      BLOB    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_after    INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE TABLE pelote_ldap_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_ldap_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_ldap_version VALUES(2,1,1,'2026-12-01 05:04:01');
CREATE TABLE ldap_bind_users (
    name          TEXT    PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
INSERT INTO ldap_bind_users VALUES('nextcloud','$argon2id$v=19$m=19456,t=1,p=1$1oOkqzUl5zb/Abn6i+iUZA$u9YQSXB8wAm3VwYGlgf+f9U4sycoJi3jOlY7GaHmvow','Nextcloud',1796101441);
CREATE TABLE pelote_access_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_access_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_access_version VALUES(2,1,1,'2026-12-01 05:04:01');
INSERT INTO pelote_access_version VALUES(3,2,1,'2026-12-01 05:04:01');
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
INSERT INTO hosts VALUES(1,'pica01','4857d137f537973c95b5643e36b766f1c6b84098b92826a12e6142f9017fc837',1796101441);
CREATE TABLE host_access (
    host_id    INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    group_id   INTEGER REFERENCES account_groups (id) ON DELETE CASCADE,
    CHECK ((account_id IS NULL) <> (group_id IS NULL))
);
INSERT INTO host_access VALUES(1,NULL,2);
INSERT INTO host_access VALUES(1,2,NULL);
CREATE TABLE access_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO access_version VALUES(1,4);
CREATE TABLE pelote_pow_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);
INSERT INTO pelote_pow_version VALUES(1,0,1,'2026-12-01 05:04:01');
INSERT INTO pelote_pow_version VALUES(2,1,1,'2026-12-01 05:04:01');
CREATE TABLE pow_spent (
    id         TEXT    PRIMARY KEY,
    expires_at INTEGER  NOT NULL
);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('pelote_store_version',2);
INSERT INTO sqlite_sequence VALUES('pelote_identity_version',10);
INSERT INTO sqlite_sequence VALUES('pelote_openid_version',2);
INSERT INTO sqlite_sequence VALUES('pelote_queue_version',2);
INSERT INTO sqlite_sequence VALUES('pelote_ldap_version',2);
INSERT INTO sqlite_sequence VALUES('pelote_access_version',3);
INSERT INTO sqlite_sequence VALUES('pelote_pow_version',2);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));
CREATE INDEX profiles_account ON profiles (account_id, service);
CREATE INDEX group_members_account ON group_members (account_id);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE TRIGGER directory_accounts_insert AFTER INSERT ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_accounts_delete AFTER DELETE ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_accounts_update AFTER UPDATE OF username, email, display_name, state ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_account_groups_insert AFTER INSERT ON account_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_account_groups_delete AFTER DELETE ON account_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_account_groups_update AFTER UPDATE OF name, description ON account_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_group_members_insert AFTER INSERT ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_group_members_delete AFTER DELETE ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_profiles_insert AFTER INSERT ON profiles
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_profiles_delete AFTER DELETE ON profiles
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER directory_profiles_update AFTER UPDATE OF name, state, service, account_id ON profiles
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE INDEX password_resets_account ON password_resets (account_id);
CREATE INDEX sign_ups_unverified ON sign_ups (created_at) WHERE verified_at = 0;
CREATE INDEX oidc_auth_requests_expiry ON oidc_auth_requests (expires_at);
CREATE INDEX oidc_grants_account ON oidc_grants (account_id);
CREATE INDEX oidc_grants_session ON oidc_grants (session_id);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_expiry ON oidc_tokens (expires_at);
CREATE INDEX queue_jobs_due ON queue_jobs (state, run_after);
CREATE UNIQUE INDEX host_access_account ON host_access (host_id, account_id) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX host_access_group ON host_access (host_id, group_id) WHERE group_id IS NOT NULL;
CREATE TRIGGER access_ssh_keys_insert AFTER INSERT ON ssh_keys
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_ssh_keys_update AFTER UPDATE ON ssh_keys
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_ssh_keys_delete AFTER DELETE ON ssh_keys
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_hosts_insert AFTER INSERT ON hosts
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_hosts_update AFTER UPDATE ON hosts
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_hosts_delete AFTER DELETE ON hosts
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_host_access_insert AFTER INSERT ON host_access
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_host_access_update AFTER UPDATE ON host_access
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER access_host_access_delete AFTER DELETE ON host_access
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
CREATE INDEX pow_spent_expires ON pow_spent (expires_at);
COMMIT;
