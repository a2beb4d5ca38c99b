-- Users this service knows of (from user.created).
CREATE TABLE users (
  user_id    uuid PRIMARY KEY,
  username   text        NOT NULL,
  created_at timestamptz NOT NULL
);

-- One row per unordered pair (user_low < user_high): a pending request or a
-- friendship. IsFriend is a primary-key lookup.
CREATE TABLE relations (
  user_low    uuid        NOT NULL,
  user_high   uuid        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('pending', 'friends')),
  requester   uuid        NOT NULL,
  created_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  PRIMARY KEY (user_low, user_high),
  CHECK (user_low < user_high)
);
CREATE INDEX relations_by_high ON relations (user_high);

CREATE TABLE blocks (
  blocker    uuid        NOT NULL,
  blocked    uuid        NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (blocker, blocked)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked);
