-- The Matrix sync names the sending device's txnId on its own events
-- (unsigned.transaction_id): looked up by event id.
CREATE INDEX sent_messages_by_event ON sent_messages (event_id);
