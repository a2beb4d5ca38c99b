-- The other shape: one large group. 1,000 users all in !big (and the first 20
-- also in !small), 20,000 messages in 2,000 transactions, 90% into !big, and
-- a read marker per transaction.
SET search_path = messaging;
INSERT INTO users SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'u' || i
  FROM generate_series(1, 1000) i;
INSERT INTO rooms (room_id, room_version, kind, creator, created_at, last_seq, depth, tip_event_id,
                   state_group, last_event_at)
  SELECT r, '10', 'group', '00000000-0000-0000-0000-000000000001', now(), 0, 0, '$x', 0, now()
  FROM unnest(ARRAY['!big:localhost', '!small:localhost']) r;
INSERT INTO memberships (room_id, user_id, membership, event_id)
  SELECT '!big:localhost', ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'join', '$m'
  FROM generate_series(1, 1000) i
  UNION ALL SELECT '!small:localhost', ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid,
    'join', '$m' FROM generate_series(1, 20) i;
DO $$
BEGIN
  FOR t IN 1..2000 LOOP
    INSERT INTO events (event_id, room_id, seq, sender, type, origin_server_ts, state_group, pdu)
      SELECT '$e' || t || '_' || j, CASE WHEN j = 10 THEN '!small:localhost' ELSE '!big:localhost' END,
             t * 100 + j, '00000000-0000-0000-0000-000000000001', 'm.room.message', 0, 0, '{}'
      FROM generate_series(1, 10) j;
    INSERT INTO receipts (room_id, user_id, seq, updated_at)
      VALUES ('!big:localhost', ('00000000-0000-0000-0000-' || lpad(to_hex(t % 1000 + 1), 12, '0'))::uuid,
              t * 100, now())
      ON CONFLICT (room_id, user_id) DO UPDATE SET seq = excluded.seq, xid = pg_current_xact_id(),
        stream_pos = nextval('stream_positions');
    COMMIT;
  END LOOP;
END $$;
ANALYZE events; ANALYZE memberships; ANALYZE users; ANALYZE receipts;
