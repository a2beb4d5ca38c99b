-- A reused client_msg_id is a retry only when the request is the same: the
-- hash of (sender, target, text) is kept with the key. Rows written before
-- this column have none and are answered as retries, as before.
ALTER TABLE sent_messages ADD COLUMN request_hash text;
