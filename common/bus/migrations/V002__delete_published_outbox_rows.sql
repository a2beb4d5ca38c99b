-- The relay deletes a row once JetStream acknowledged it (the stream keeps the
-- event): marking it published cost a second index entry and a dead tuple per
-- event. published_at stays, unwritten, for relays of the previous release.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX IF EXISTS outbox_published_at;
