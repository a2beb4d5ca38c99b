-- Edits (m.replace) and reactions (m.annotation) of messages, written with
-- the relating event in the writer's transaction, so that a message's latest
-- text and its reaction counts are an indexed read, not a scan of PDUs.
CREATE TABLE relations (
  event_id   text    PRIMARY KEY,   -- the edit or reaction event
  room_id    text    NOT NULL REFERENCES rooms,
  relates_to text    NOT NULL,      -- the message it relates to
  rel_type   text    NOT NULL CHECK (rel_type IN ('m.replace', 'm.annotation')),
  key        text,                  -- a reaction's key; NULL once redacted
  sender     uuid    NOT NULL,
  seq        bigint  NOT NULL,      -- of the relating event: the latest edit wins
  redacted   boolean NOT NULL DEFAULT false
);
CREATE INDEX relations_by_target ON relations (relates_to, rel_type, seq);
-- One reaction per user and key; a removed one frees the key.
CREATE UNIQUE INDEX relations_one_reaction ON relations (relates_to, key, sender)
  WHERE rel_type = 'm.annotation' AND NOT redacted;

-- Redactions applied to stored events: the redacted event's PDU in `events`
-- was replaced by its redacted form in the same transaction. An event is
-- redacted once.
CREATE TABLE redactions (
  redacts          text   PRIMARY KEY,
  event_id         text   NOT NULL UNIQUE,  -- the m.room.redaction event
  room_id          text   NOT NULL REFERENCES rooms,
  origin_server_ts bigint NOT NULL
);
