-- Sync positions valid across writers (DESIGN.md, section 2). Every stream
-- row records the id of the transaction that wrote it; readers take rows in
-- (xid, stream_pos) order below the oldest transaction still running, so a
-- row committed late by another writer can never land behind a token.
-- Rows written before this migration get xid 0 (read first, by position).
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE receipts ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE notices ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE events ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
ALTER TABLE receipts ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
ALTER TABLE notices ALTER COLUMN xid SET DEFAULT pg_current_xact_id();

-- Positions (the order inside one transaction, and the notices key) come from
-- the shared sequence, past anything an in-memory allocator handed out.
SELECT setval('stream_positions', greatest((SELECT max(stream_pos) FROM events),
  (SELECT max(stream_pos) FROM receipts), (SELECT max(stream_pos) FROM notices), 1));
ALTER TABLE events ALTER COLUMN stream_pos SET DEFAULT nextval('stream_positions');
ALTER TABLE receipts ALTER COLUMN stream_pos SET DEFAULT nextval('stream_positions');
ALTER TABLE notices ALTER COLUMN stream_pos SET DEFAULT nextval('stream_positions');

CREATE INDEX events_by_xid ON events (xid, stream_pos);
DROP INDEX events_by_stream;
CREATE INDEX receipts_by_xid ON receipts (xid, stream_pos);
DROP INDEX receipts_by_stream;
CREATE INDEX notices_by_user_xid ON notices (user_id, xid, stream_pos);
DROP INDEX notices_by_user;
