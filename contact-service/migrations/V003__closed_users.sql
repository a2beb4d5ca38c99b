-- A closed account (user.deactivated) keeps its row, marked: user.created
-- has a consumer of its own and may be applied after the deactivation, and
-- must not make the account a contact target again.
ALTER TABLE users ADD COLUMN closed boolean NOT NULL DEFAULT false;
