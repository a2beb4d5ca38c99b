-- A deactivated account keeps its row (the username stays taken: a Matrix
-- user id is never reused) but can no longer log in.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
