-- Several messaging replicas: where each is reached, and which one writes a
-- shard of rooms. Ownership itself is the advisory lock; a shard_owners row
-- is written by the lock's holder so that others know where to forward.
CREATE TABLE messaging_replicas (
  replica_id   text PRIMARY KEY,
  grpc_address text        NOT NULL,
  heartbeat_at timestamptz NOT NULL
);

CREATE TABLE shard_owners (
  shard      int PRIMARY KEY CHECK (shard >= 0 AND shard < 64),
  replica_id text        NOT NULL,
  since      timestamptz NOT NULL
);
