-- Rooms a user forgot (Matrix POST /rooms/{id}/forget) after leaving them:
-- their history is no longer offered to that user. Joining again clears it.
CREATE TABLE matrix_forgotten_rooms (
  room_id     text        NOT NULL REFERENCES rooms,
  user_id     uuid        NOT NULL,
  forgotten_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);
