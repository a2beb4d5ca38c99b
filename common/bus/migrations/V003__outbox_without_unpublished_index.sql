-- Every row in the table is unpublished now (V002): the partial index on seq
-- repeated the primary key and cost an index entry per event.
DROP INDEX IF EXISTS outbox_unpublished;
