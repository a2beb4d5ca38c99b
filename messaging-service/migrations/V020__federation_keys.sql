-- Federation (server-server API): the public half of every signing key this
-- server has used, and the key documents of other servers.

-- Our verify keys: expired_ts is NULL for the key that signs now, and set
-- when a rotation retired it (served as old_verify_keys).
CREATE TABLE federation_verify_keys (
  key_id     text PRIMARY KEY,
  public_key bytea  NOT NULL,
  expired_ts bigint
);

-- The latest checked key document of each remote server, kept until it
-- may no longer be used (min of valid_until_ts and a week after fetching).
CREATE TABLE federation_remote_keys (
  server_name  text PRIMARY KEY,
  document     text        NOT NULL,
  fetched_at   timestamptz NOT NULL,
  usable_until timestamptz NOT NULL
);
