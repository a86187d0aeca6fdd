-- +goose Up
-- Addresses are compared in one canonical form, email_key (Unicode case
-- folding of the canonical decomposition, in NFC): "Ä@x" and "ä@x" are one
-- address. SQL cannot fold Unicode case, so migration 11 (Go) fills it and
-- migration 12 makes it unique.
ALTER TABLE accounts ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
-- How and when the address was confirmed: 'link' (a link mailed to it was
-- opened), 'signup' (the sign-up's confirmation link), 'admin' (an
-- administrator entered it), 'import' (an import brought it), or '' (not
-- confirmed: email_verified is false).
ALTER TABLE accounts ADD COLUMN email_confirmed_by TEXT NOT NULL DEFAULT ''
    CHECK (email_confirmed_by IN ('', 'link', 'signup', 'admin', 'import'));
ALTER TABLE accounts ADD COLUMN email_confirmed_at BIGINT NOT NULL DEFAULT 0;
-- What is known of existing addresses: one whose change link was opened was
-- confirmed then. Others may have been typed by anyone, without mail: they
-- start unconfirmed.
UPDATE accounts SET email_confirmed_by = 'link', email_confirmed_at = (
    SELECT MAX(c.used_at) FROM email_changes c
    WHERE c.account_id = accounts.id AND c.used_at <> 0 AND lower(c.email) = lower(accounts.email))
WHERE EXISTS (
    SELECT 1 FROM email_changes c
    WHERE c.account_id = accounts.id AND c.used_at <> 0 AND lower(c.email) = lower(accounts.email));

-- +goose Down
ALTER TABLE accounts DROP COLUMN email_confirmed_at;
ALTER TABLE accounts DROP COLUMN email_confirmed_by;
ALTER TABLE accounts DROP COLUMN email_key;
