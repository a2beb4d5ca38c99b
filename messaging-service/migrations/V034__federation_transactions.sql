-- Answers to PUT /_matrix/federation/v1/send/{txnId}, kept per (origin,
-- txnId) so that a retried transaction gets the same answer and its PDUs
-- are not processed twice. Old rows are deleted by received_at.
CREATE TABLE federation_transactions (
  origin      text        NOT NULL,
  txn_id      text        NOT NULL,
  answer      text        NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (origin, txn_id)
);
CREATE INDEX federation_transactions_received ON federation_transactions (received_at);
