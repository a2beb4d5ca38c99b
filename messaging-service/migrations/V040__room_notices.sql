-- Group changes the members learn of in /v1/sync (member added or removed,
-- settings changed): one row per change, read by every member joined when
-- they sync, as the room's events are. `notices` keeps the rows of one user:
-- the users whose set of rooms changes (added, removed, left). Before this,
-- each change wrote a notice per member: adding 50 users to a group of
-- 10,000 wrote half a million rows.
CREATE TABLE room_notices (
  stream_pos bigint PRIMARY KEY DEFAULT nextval('stream_positions'),
  xid        xid8   NOT NULL DEFAULT pg_current_xact_id(),
  room_id    text   NOT NULL REFERENCES rooms,
  kind       text   NOT NULL,
  other_user uuid
);
CREATE INDEX room_notices_by_xid ON room_notices (xid, stream_pos);
