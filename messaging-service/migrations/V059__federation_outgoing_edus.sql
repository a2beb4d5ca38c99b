-- Persisted EDUs in the outgoing federation queue (fede2ee): an
-- m.direct_to_device message must survive a failed attempt and a restart like
-- a PDU, and leave in the transaction that stored it, so its row carries the
-- EDU itself (JSON text) instead of an event id (room_id is '' then).
ALTER TABLE federation_outgoing ALTER COLUMN event_id DROP NOT NULL, ADD COLUMN edu text,
  ADD CONSTRAINT federation_outgoing_pdu_or_edu CHECK ((event_id IS NULL) <> (edu IS NULL));
