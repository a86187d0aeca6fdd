-- +goose Up
-- The directory also serves profiles (ldap.profile_services): their
-- changes bump the same counter as accounts and groups.
-- +goose StatementBegin
CREATE TRIGGER directory_profiles_insert AFTER INSERT ON profiles
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_profiles_delete AFTER DELETE ON profiles
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER directory_profiles_update AFTER UPDATE OF name, state, service, account_id ON profiles
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER directory_profiles_insert;
DROP TRIGGER directory_profiles_delete;
DROP TRIGGER directory_profiles_update;
