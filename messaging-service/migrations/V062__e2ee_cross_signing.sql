-- Cross-signing (issue 14): a user's master, self-signing and user-signing
-- keys, and the signatures uploaded later for device keys and master keys.

CREATE TABLE e2ee_cross_signing_keys (
  user_id  uuid NOT NULL,
  usage    text NOT NULL CHECK (usage IN ('master', 'self_signing', 'user_signing')),
  key_json text NOT NULL,  -- the signed CrossSigningKey object
  PRIMARY KEY (user_id, usage)
);

-- A signature of a local user's device keys (target_key = the device id) or
-- master key (target_key = its public key) by a local signer's key. Merged
-- into the signed object's `signatures` when keys are queried.
CREATE TABLE e2ee_key_signatures (
  target_user   uuid NOT NULL,
  target_key    text NOT NULL,
  signer        uuid NOT NULL,
  signer_key_id text NOT NULL,  -- "ed25519:<public key or device id>"
  signature     text NOT NULL,
  PRIMARY KEY (target_user, target_key, signer, signer_key_id)
);
