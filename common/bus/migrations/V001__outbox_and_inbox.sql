-- Transactional outbox: a state change and its event commit together; the
-- relay publishes unpublished rows to JetStream in seq order.
CREATE TABLE outbox (
  seq          bigserial PRIMARY KEY,
  event_id     uuid        NOT NULL UNIQUE,
  subject      text        NOT NULL,
  payload      text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts     int         NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Idempotent consumers: an event's effect and its id commit together.
CREATE TABLE processed_events (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
