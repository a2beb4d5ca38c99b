-- 1,000 users, 500 groups (each user in 5), 100k messages in 1,000 transactions.
SET search_path = messaging;
INSERT INTO users SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'u' || i
  FROM generate_series(1, 1000) i;
INSERT INTO rooms (room_id, room_version, kind, creator, created_at, last_seq, depth, tip_event_id,
                   state_group, last_event_at)
  SELECT '!r' || r || ':localhost', '10', 'group', '00000000-0000-0000-0000-000000000001', now(),
         0, 0, '$x', 0, now() FROM generate_series(0, 499) r;
INSERT INTO memberships (room_id, user_id, membership, event_id)
  SELECT DISTINCT '!r' || ((i * 7 + k * 101) % 500) || ':localhost',
         ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'join', '$m'
  FROM generate_series(1, 1000) i, generate_series(0, 4) k;
DO $$
BEGIN
  FOR t IN 1..1000 LOOP
    INSERT INTO events (event_id, room_id, seq, sender, type, origin_server_ts, state_group, pdu)
      SELECT '$e' || t || '_' || j, '!r' || ((t * 13 + j) % 500) || ':localhost', t * 1000 + j,
             '00000000-0000-0000-0000-000000000001', 'm.room.message', 0, 0, '{}'
      FROM generate_series(1, 100) j;
    COMMIT;
  END LOOP;
END $$;
ANALYZE events; ANALYZE memberships; ANALYZE users;
