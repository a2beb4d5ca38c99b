-- A room's forward extremities when another server's concurrent event forked
-- it (issue 16): the events no other event names as prev_events yet. NULL
-- (almost always): the tip alone. The next local event names them all and
-- merges the branches, so every local write sets it back to NULL.
ALTER TABLE rooms ADD COLUMN fork_extremities text[];
