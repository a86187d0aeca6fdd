-- +goose Up
-- See the SQLite migration: a counter bumped by triggers, polled by the directory.
CREATE TABLE access_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, 1);
-- +goose StatementBegin
CREATE FUNCTION access_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER access_ssh_keys AFTER INSERT OR UPDATE OR DELETE ON ssh_keys FOR EACH STATEMENT EXECUTE FUNCTION access_bump();
CREATE TRIGGER access_hosts AFTER INSERT OR UPDATE OR DELETE ON hosts FOR EACH STATEMENT EXECUTE FUNCTION access_bump();
CREATE TRIGGER access_host_access AFTER INSERT OR UPDATE OR DELETE ON host_access FOR EACH STATEMENT EXECUTE FUNCTION access_bump();

-- +goose Down
DROP TRIGGER access_ssh_keys ON ssh_keys;
DROP TRIGGER access_hosts ON hosts;
DROP TRIGGER access_host_access ON host_access;
DROP FUNCTION access_bump();
DROP TABLE access_version;
