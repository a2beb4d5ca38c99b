-- Sessions and their tokens. Tokens are opaque 256-bit random strings; only
-- their SHA-256 is stored.
CREATE TABLE sessions (
  session_id         uuid PRIMARY KEY,
  user_id            uuid        NOT NULL,
  device_name        text        NOT NULL,
  created_at         timestamptz NOT NULL,
  last_seen_at       timestamptz NOT NULL,
  refresh_expires_at timestamptz NOT NULL,
  revoked_at         timestamptz,
  revoke_reason      text
);
CREATE INDEX sessions_active_by_user ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL;

CREATE TABLE tokens (
  token_hash bytea PRIMARY KEY,
  session_id uuid        NOT NULL REFERENCES sessions ON DELETE CASCADE,
  kind       smallint    NOT NULL CHECK (kind IN (1, 2)),  -- 1 access, 2 refresh
  expires_at timestamptz NOT NULL,
  used_at    timestamptz  -- refresh tokens: when rotated; a second use is reuse
);
CREATE INDEX tokens_by_session ON tokens (session_id);
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
