-- PDUs of other servers that passed the state before them but not the
-- room's current state (soft-failed, issue 16): never applied, shown or
-- named as a forward extremity, but kept with the state after them, so an
-- event that names one as a prev event is decided as usual (a fork) rather
-- than refused for an unknown prev event. One that a later resolution puts
-- into the room's state moves to events then.
CREATE TABLE federation_soft_failed_events (
  event_id    text PRIMARY KEY,
  room_id     text        NOT NULL,
  origin      text        NOT NULL,
  reason      text        NOT NULL,
  pdu         text        NOT NULL,
  state_group bigint      NOT NULL REFERENCES state_groups,
  received_at timestamptz NOT NULL
);
