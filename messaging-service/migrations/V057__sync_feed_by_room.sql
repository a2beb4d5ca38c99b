-- The sync feed reads, for each member, the rows of their rooms after their
-- token. With only (xid, stream_pos) and (room_id, seq) to choose from, the
-- planner ANDed a bitmap of the whole room's events with the xid range: in
-- a room of 20,000 events, 1.3 ms per member, 13 s for the 10,000 polls a
-- message into a group of 10,000 wakes (EXPLAIN ANALYZE of
-- msg_sync_rows_many on the large-group bench's database). By room, then
-- key, each member's read is a range of the rows they have not seen: 185 ms
-- for the same 10,000. Receipts are read the same way.
CREATE INDEX events_by_room_xid ON events (room_id, xid, stream_pos);
CREATE INDEX receipts_by_room_xid ON receipts (room_id, xid, stream_pos);
