-- Large groups (issue 15): a state group chain is cut by a full snapshot once
-- it holds a quarter of the room's state (and at least 64 groups), so that a
-- snapshot costs a few rows per state event however large the room. Each
-- group carries the size of its chain's snapshot (0: unknown, as before).
ALTER TABLE state_groups ADD COLUMN snapshot_size int NOT NULL DEFAULT 0;
