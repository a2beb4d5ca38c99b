-- The end-to-end encryption relay: keys as uploaded (signed JSON text, never
-- read by the server beyond its shape) and to-device messages.

-- A device that uploaded keys; `session_id` is the session (Matrix device)
-- that uploaded them: revoking it removes the device.
CREATE TABLE e2ee_devices (
  user_id     uuid NOT NULL,
  device_id   text NOT NULL,
  session_id  text NOT NULL,
  device_keys text,  -- the signed DeviceKeys object; NULL until uploaded
  PRIMARY KEY (user_id, device_id)
);
CREATE INDEX e2ee_devices_by_session ON e2ee_devices (session_id);

-- One-time keys: a claim deletes one.
CREATE TABLE e2ee_one_time_keys (
  user_id   uuid NOT NULL,
  device_id text NOT NULL,
  algorithm text NOT NULL,
  key_id    text NOT NULL,
  key_json  text NOT NULL,
  PRIMARY KEY (user_id, device_id, algorithm, key_id)
);

-- Fallback keys: one per algorithm, handed out when no one-time key is left.
CREATE TABLE e2ee_fallback_keys (
  user_id   uuid    NOT NULL,
  device_id text    NOT NULL,
  algorithm text    NOT NULL,
  key_id    text    NOT NULL,
  key_json  text    NOT NULL,
  used      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (user_id, device_id, algorithm)
);

-- Device-list positions come from this one row, taken under its lock, so
-- they commit in order: a reader never skips one that commits late.
CREATE TABLE e2ee_device_list_stream (
  id  int    PRIMARY KEY CHECK (id = 1),
  pos bigint NOT NULL
);
-- From 1: a sync cursor of 0 means an initial sync.
INSERT INTO e2ee_device_list_stream VALUES (1, 1);

-- The latest device-list change of each user (older ones add nothing: a
-- reader past them learns the same fact from the latest).
CREATE TABLE e2ee_device_list_changes (
  user_id uuid   PRIMARY KEY,
  pos     bigint NOT NULL
);
CREATE INDEX e2ee_device_list_changes_pos ON e2ee_device_list_changes (pos);

-- To-device inboxes: positions per device from its counter row, taken under
-- its lock (in commit order). Counters outlive their device so that a
-- device id used again never goes back to positions a token already passed.
CREATE TABLE e2ee_inbox_counters (
  user_id   uuid   NOT NULL,
  device_id text   NOT NULL,
  last_pos  bigint NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE e2ee_to_device (
  user_id   uuid   NOT NULL,
  device_id text   NOT NULL,
  pos       bigint NOT NULL,
  event     text   NOT NULL,  -- {"type","sender","content"}
  PRIMARY KEY (user_id, device_id, pos)
);

-- sendToDevice transactions already done (a retry is answered, not resent).
CREATE TABLE e2ee_to_device_txns (
  sender        uuid        NOT NULL,
  sender_device text        NOT NULL,
  txn_id        text        NOT NULL,
  sent_at       timestamptz NOT NULL,
  PRIMARY KEY (sender, sender_device, txn_id)
);
CREATE INDEX e2ee_to_device_txns_sent ON e2ee_to_device_txns (sent_at);
