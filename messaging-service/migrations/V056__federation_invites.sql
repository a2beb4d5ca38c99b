-- Invites of local users into rooms of other servers (issue 16, fedinvite).
-- The invite itself is an event of the room (a room row holding only what
-- this server was shown: the invite, until the user joins); this row keeps
-- what the event does not: the server to answer through (make_join,
-- make_leave) and the stripped state the inviting server sent along
-- (invite_room_state, shown in /sync rooms.invite).
CREATE TABLE federation_invites (
  room_id      text        NOT NULL REFERENCES rooms,
  user_id      uuid        NOT NULL,
  event_id     text        NOT NULL,
  origin       text        NOT NULL,
  invite_state text        NOT NULL,  -- JSON array of stripped state events
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
