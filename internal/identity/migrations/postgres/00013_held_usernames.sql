-- +goose Up
-- A username a sign-up (or an invitation) asked for with an address that
-- another account has. No account is made, but the name is held as long
-- as an unconfirmed sign-up would hold it, so that asking again with the
-- same name gets the answer it would get after a real sign-up: the
-- sequence of answers never tells whether the address was free.
CREATE TABLE held_usernames (
    username   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE held_usernames;
