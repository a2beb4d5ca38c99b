-- Public profiles, created from user.created.
CREATE TABLE profiles (
  user_id        uuid PRIMARY KEY,
  username       text        NOT NULL,
  display_name   text        NOT NULL,
  avatar_url     text        NOT NULL DEFAULT '',
  bio            text        NOT NULL DEFAULT '',
  email_verified boolean     NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        bigint      NOT NULL DEFAULT 1
);
-- Prefix search on the username, whatever the database collation.
CREATE UNIQUE INDEX profiles_username_prefix ON profiles (lower(username) text_pattern_ops);
