-- +goose Up
-- One account per address in its canonical form (see migration 10); an
-- account without an address would not take one from another.
DROP INDEX accounts_email;
CREATE UNIQUE INDEX accounts_email_key ON accounts (email_key) WHERE email <> '';

-- +goose Down
DROP INDEX accounts_email_key;
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));
