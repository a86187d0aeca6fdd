-- +goose Up
-- Read-only accounts for applications that search the directory
-- (Nextcloud, Gitea, SSSD...): they bind as uid=NAME,ou=services,BASE.
CREATE TABLE ldap_bind_users (
    name          TEXT    PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE ldap_bind_users;
