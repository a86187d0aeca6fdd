-- +goose Up
-- A counter the directory (LDAP) polls: every change to what it serves
-- bumps it, whichever node or command made the change. Triggers, so
-- that no write path can forget it.
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);
-- +goose StatementBegin
CREATE TRIGGER directory_accounts_insert AFTER INSERT ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_accounts_delete AFTER DELETE ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_accounts_update AFTER UPDATE OF username, email, display_name, state ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_account_groups_insert AFTER INSERT ON account_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_account_groups_delete AFTER DELETE ON account_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_account_groups_update AFTER UPDATE OF name, description ON account_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_group_members_insert AFTER INSERT ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_group_members_delete AFTER DELETE ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER directory_accounts_insert;
DROP TRIGGER directory_accounts_delete;
DROP TRIGGER directory_accounts_update;
DROP TRIGGER directory_account_groups_insert;
DROP TRIGGER directory_account_groups_delete;
DROP TRIGGER directory_account_groups_update;
DROP TRIGGER directory_group_members_insert;
DROP TRIGGER directory_group_members_delete;
DROP TABLE directory_version;
