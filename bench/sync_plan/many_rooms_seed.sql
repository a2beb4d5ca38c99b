-- The third shape: users in many rooms. 1,000 users, 2,000 rooms, each user
-- in 200 of them (200k memberships), 100,000 messages in 1,000 transactions
-- and a read marker per transaction.
SET search_path = messaging;
INSERT INTO users SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'u' || i
  FROM generate_series(1, 1000) i;
INSERT INTO rooms (room_id, room_version, kind, creator, created_at, last_seq, depth, tip_event_id,
                   state_group, last_event_at)
  SELECT '!r' || r || ':localhost', '10', 'group', '00000000-0000-0000-0000-000000000001', now(),
         0, 0, '$x', 0, now() FROM generate_series(0, 1999) r;
INSERT INTO memberships (room_id, user_id, membership, event_id)
  SELECT DISTINCT '!r' || ((i * 7 + k * 10) % 2000) || ':localhost',
         ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'join', '$m'
  FROM generate_series(1, 1000) i, generate_series(0, 199) k;
DO $$
BEGIN
  FOR t IN 1..1000 LOOP
    INSERT INTO events (event_id, room_id, seq, sender, type, origin_server_ts, state_group, pdu)
      SELECT '$e' || t || '_' || j, '!r' || ((t * 13 + j) % 2000) || ':localhost', t * 1000 + j,
             '00000000-0000-0000-0000-000000000001', 'm.room.message', 0, 0, '{}'
      FROM generate_series(1, 100) j;
    INSERT INTO receipts (room_id, user_id, seq, updated_at)
      VALUES ('!r' || (t % 2000) || ':localhost',
              ('00000000-0000-0000-0000-' || lpad(to_hex(t % 1000 + 1), 12, '0'))::uuid, t * 1000, now())
      ON CONFLICT (room_id, user_id) DO UPDATE SET seq = excluded.seq, xid = pg_current_xact_id(),
        stream_pos = nextval('stream_positions');
    COMMIT;
  END LOOP;
END $$;
ANALYZE events; ANALYZE memberships; ANALYZE users; ANALYZE receipts;
