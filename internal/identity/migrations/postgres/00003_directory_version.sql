-- +goose Up
-- See the SQLite migration: a counter the directory polls, bumped by triggers.
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);
-- +goose StatementBegin
CREATE FUNCTION directory_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER directory_accounts AFTER INSERT OR DELETE OR UPDATE OF username, email, display_name, state ON accounts FOR EACH STATEMENT EXECUTE FUNCTION directory_bump();
CREATE TRIGGER directory_account_groups AFTER INSERT OR DELETE OR UPDATE OF name, description ON account_groups FOR EACH STATEMENT EXECUTE FUNCTION directory_bump();
CREATE TRIGGER directory_group_members AFTER INSERT OR DELETE ON group_members FOR EACH STATEMENT EXECUTE FUNCTION directory_bump();

-- +goose Down
DROP TRIGGER directory_accounts ON accounts;
DROP TRIGGER directory_account_groups ON account_groups;
DROP TRIGGER directory_group_members ON group_members;
DROP FUNCTION directory_bump();
DROP TABLE directory_version;
