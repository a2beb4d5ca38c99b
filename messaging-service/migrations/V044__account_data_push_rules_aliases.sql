-- Matrix client state of a user beside the rooms: account data (global and
-- per room), push rules, room aliases and the public room directory.

-- Each user's account data changes are numbered by a per-user version taken
-- under this row's lock, so the sync section's cursor never skips a change
-- that committed late.
CREATE TABLE account_data_versions (
  user_id uuid   PRIMARY KEY,
  version bigint NOT NULL
);

-- room_id '' is global account data. m.push_rules and m.direct rows may be
-- markers (content '{}') whose content is computed when read.
CREATE TABLE account_data (
  user_id uuid   NOT NULL,
  room_id text   NOT NULL,
  type    text   NOT NULL,
  content text   NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_by_version ON account_data (user_id, version);

-- A user's push rules. A row with position NULL changes a server-default
-- rule (enabled and/or actions, NULL = the default's); other rows are the
-- user's own rules, ordered by position inside their kind.
CREATE TABLE push_rules (
  user_id  uuid    NOT NULL,
  kind     text    NOT NULL CHECK (kind IN ('override', 'content', 'room', 'sender', 'underride')),
  rule_id  text    NOT NULL,
  position bigint,
  body     text,        -- JSON: pattern and/or conditions of a user rule
  actions  text,        -- JSON array
  enabled  boolean,
  PRIMARY KEY (user_id, kind, rule_id)
);

-- Room aliases of this server ("#local:server").
CREATE TABLE room_aliases (
  alias      text PRIMARY KEY,
  room_id    text NOT NULL REFERENCES rooms,
  creator    uuid NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX room_aliases_by_room ON room_aliases (room_id);

-- Rooms published in the public room directory.
CREATE TABLE published_rooms (
  room_id      text PRIMARY KEY REFERENCES rooms,
  published_at timestamptz NOT NULL
);

-- profile.updated waiting to become m.room.member events in the user's
-- joined rooms; the latest profile wins, `after_room` is the progress, and
-- `turn` puts a job that did one batch behind the others.
CREATE SEQUENCE profile_member_turns;
CREATE TABLE profile_member_updates (
  user_id     uuid   PRIMARY KEY,
  displayname text,
  avatar_url  text,
  after_room  text   NOT NULL DEFAULT '',
  revision    bigint NOT NULL,
  turn        bigint NOT NULL DEFAULT nextval('profile_member_turns')
);
