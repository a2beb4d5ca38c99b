-- Conversations are Matrix rooms (room version 10); every message and state
-- change is a signed PDU.

-- Users this service knows of (from user.created): the Matrix localpart.
CREATE TABLE users (
  user_id  uuid PRIMARY KEY,
  username text NOT NULL UNIQUE
);

-- The server's ed25519 signing keys; the newest signs.
CREATE TABLE server_keys (
  key_id     text PRIMARY KEY,
  seed       bytea       NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE rooms (
  room_id         text PRIMARY KEY,
  room_version    text        NOT NULL,
  kind            text        NOT NULL CHECK (kind IN ('direct', 'group')),
  name            text,
  creator         uuid        NOT NULL,
  direct_key      text UNIQUE,               -- "<low uuid>:<high uuid>": one direct room per pair
  direct_read_only boolean    NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL,
  last_seq        bigint      NOT NULL,      -- gap-free, taken under this row's lock
  depth           bigint      NOT NULL,
  tip_event_id    text        NOT NULL,      -- forward extremity (local rooms stay linear)
  state_group     bigint      NOT NULL,
  last_event_at   timestamptz NOT NULL,
  last_message_event_id text
);

-- Every event; seq orders a room, stream_pos orders everything (sync).
CREATE TABLE events (
  event_id         text PRIMARY KEY,
  room_id          text        NOT NULL REFERENCES rooms,
  seq              bigint      NOT NULL,
  stream_pos       bigint      NOT NULL,
  sender           uuid        NOT NULL,
  type             text        NOT NULL,
  state_key        text,
  origin_server_ts bigint      NOT NULL,
  state_group      bigint      NOT NULL,     -- the room state after this event
  pdu              text        NOT NULL,     -- the signed PDU, as sent over federation
  UNIQUE (room_id, seq)
);
CREATE INDEX events_by_stream ON events (stream_pos);
-- History pages and unread counts: messages of a room by seq.
CREATE INDEX events_messages_by_room ON events (room_id, seq) WHERE type = 'm.room.message';

-- State groups: each state event starts a group holding only what it changed
-- (prev_group chains to the rest); every 64th group is a full snapshot so a
-- lookup walks a bounded chain.
CREATE TABLE state_groups (
  group_id   bigserial PRIMARY KEY,
  room_id    text   NOT NULL REFERENCES rooms DEFERRABLE INITIALLY DEFERRED,
  prev_group bigint REFERENCES state_groups,
  chain_len  int    NOT NULL
);
CREATE TABLE state_group_entries (
  group_id  bigint NOT NULL REFERENCES state_groups,
  type      text   NOT NULL,
  state_key text   NOT NULL,
  event_id  text   NOT NULL,
  PRIMARY KEY (group_id, type, state_key)
);

CREATE TABLE current_state (
  room_id   text NOT NULL REFERENCES rooms,
  type      text NOT NULL,
  state_key text NOT NULL,
  event_id  text NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
);

CREATE TABLE memberships (
  room_id    text NOT NULL REFERENCES rooms,
  user_id    uuid NOT NULL,
  membership text NOT NULL,
  event_id   text NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id) WHERE membership = 'join';

-- Read markers: read up to seq.
CREATE TABLE receipts (
  room_id    text        NOT NULL REFERENCES rooms,
  user_id    uuid        NOT NULL,
  seq        bigint      NOT NULL,
  stream_pos bigint      NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX receipts_by_stream ON receipts (stream_pos);

-- Per-user notices for sync: contact changes, added to a conversation.
CREATE TABLE notices (
  stream_pos bigint PRIMARY KEY,
  user_id    uuid   NOT NULL,
  kind       text   NOT NULL,
  room_id    text,
  other_user uuid
);
CREATE INDEX notices_by_user ON notices (user_id, stream_pos);

-- Idempotent sends: a retry finds its original event.
CREATE TABLE sent_messages (
  user_id       uuid NOT NULL,
  device_id     text NOT NULL,
  client_msg_id text NOT NULL,
  event_id      text NOT NULL,
  PRIMARY KEY (user_id, device_id, client_msg_id)
);

-- One position sequence for events, receipts and notices.
CREATE SEQUENCE stream_positions;
