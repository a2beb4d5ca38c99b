-- Accounts made through Matrix registration have no email: NULL (the unique
-- index on lower(email) allows any number of them).
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
