-- +goose Up
-- An authorization request belongs to the browser that started it (the
-- hash of a cookie set at /authorize), and consent given on its pages to
-- the account that gave it: a request id alone is no longer enough to
-- finish someone else's sign-in or to read its code.
ALTER TABLE oidc_auth_requests ADD COLUMN browser_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE oidc_auth_requests ADD COLUMN consented_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oidc_auth_requests DROP COLUMN consented;

-- +goose Down
ALTER TABLE oidc_auth_requests ADD COLUMN consented INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oidc_auth_requests DROP COLUMN consented_by;
ALTER TABLE oidc_auth_requests DROP COLUMN browser_hash;
