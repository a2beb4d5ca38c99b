-- Rooms over federation (issue 16).
-- Remote users are rows of users: user_id is derived from the full Matrix id
-- (federation/remote_users.h, the same on every replica) and username is the
-- full "@local:server" (local usernames cannot contain ':').
ALTER TABLE users ADD COLUMN remote boolean NOT NULL DEFAULT false;

-- PDUs received from other servers and rejected by the auth rules: kept,
-- never applied, so an event naming one as an auth event is rejected too and
-- a retry is answered the same.
CREATE TABLE federation_rejected_events (
  event_id    text PRIMARY KEY,
  room_id     text        NOT NULL,
  origin      text        NOT NULL,
  reason      text        NOT NULL,
  pdu         text        NOT NULL,
  received_at timestamptz NOT NULL
);
CREATE INDEX federation_rejected_events_received ON federation_rejected_events (received_at);
