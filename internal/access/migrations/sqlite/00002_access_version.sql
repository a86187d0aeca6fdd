-- +goose Up
-- A counter the directory (LDAP) polls for keys and machine access, like
-- identity's directory_version: bumped by triggers on every change.
CREATE TABLE access_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, 1);
-- +goose StatementBegin
CREATE TRIGGER access_ssh_keys_insert AFTER INSERT ON ssh_keys
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_ssh_keys_update AFTER UPDATE ON ssh_keys
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_ssh_keys_delete AFTER DELETE ON ssh_keys
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_hosts_insert AFTER INSERT ON hosts
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_hosts_update AFTER UPDATE ON hosts
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_hosts_delete AFTER DELETE ON hosts
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_host_access_insert AFTER INSERT ON host_access
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_host_access_update AFTER UPDATE ON host_access
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_host_access_delete AFTER DELETE ON host_access
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER access_ssh_keys_insert;
DROP TRIGGER access_ssh_keys_update;
DROP TRIGGER access_ssh_keys_delete;
DROP TRIGGER access_hosts_insert;
DROP TRIGGER access_hosts_update;
DROP TRIGGER access_hosts_delete;
DROP TRIGGER access_host_access_insert;
DROP TRIGGER access_host_access_update;
DROP TRIGGER access_host_access_delete;
DROP TABLE access_version;
