-- Matrix device ids: each session is one device, its id stable for the
-- session's life. Existing sessions get one derived from their id.
ALTER TABLE sessions ADD COLUMN device_id text;
UPDATE sessions SET device_id = upper(substr(md5(session_id::text), 1, 10)) WHERE device_id IS NULL;
ALTER TABLE sessions ALTER COLUMN device_id SET NOT NULL;
-- A device id names one live session of its user (a new login with it
-- replaces the old one).
CREATE UNIQUE INDEX sessions_live_device ON sessions (user_id, device_id) WHERE revoked_at IS NULL;
