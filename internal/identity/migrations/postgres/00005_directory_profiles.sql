-- +goose Up
-- See the SQLite migration: profiles bump the directory's counter too.
CREATE TRIGGER directory_profiles AFTER INSERT OR DELETE OR UPDATE OF name, state, service, account_id ON profiles FOR EACH STATEMENT EXECUTE FUNCTION directory_bump();

-- +goose Down
DROP TRIGGER directory_profiles ON profiles;
