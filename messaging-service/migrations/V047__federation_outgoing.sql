-- Outgoing federation (issue 16): one row per (destination, event) written in
-- the event's own transaction (the outbox rule), deleted only after the
-- destination answered 200 to the transaction that carried it. id orders a
-- destination's PDUs; txn_id is set when a row is first put into a
-- transaction, so a retry resends the same rows under the same txnId.
CREATE TABLE federation_outgoing (
  id          bigserial PRIMARY KEY,
  destination text        NOT NULL,
  room_id     text        NOT NULL,
  event_id    text        NOT NULL,
  txn_id      text,
  enqueued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX federation_outgoing_destination ON federation_outgoing (destination, id);

-- Per destination: how many attempts failed in a row and when the next may
-- start (exponential backoff that survives a restart), and which replica
-- holds the sending lease until when (one sender per destination).
CREATE TABLE federation_destinations (
  destination  text PRIMARY KEY,
  failures     integer     NOT NULL DEFAULT 0,
  retry_at     timestamptz NOT NULL DEFAULT now(),
  lease_owner  text,
  lease_until  timestamptz
);
