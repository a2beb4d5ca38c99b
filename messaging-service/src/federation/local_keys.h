// This server's signing key and its key document (/_matrix/key/v2/server).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/domain/matrix/server_keys.h"
#include "messaging-service/src/federation/federation_store.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

// The signing key: read from `key_file` when set (a Secret in production),
// otherwise the one stored in the database, generated and stored the first
// time.
absl::StatusOr<matrix::Ed25519Key> LoadSigningKey(messaging::MessagingStore& store,
                                                  const std::string& key_file, Rng& rng);

class LocalKeys {
 public:
  // Records `key` as the current verify key; keys used before it become
  // old_verify_keys (expired now). A key stored in the database and replaced
  // by a key file is retired too.
  static absl::StatusOr<LocalKeys> Create(std::string server_name, matrix::Ed25519Key key,
                                          messaging::MessagingStore& store,
                                          FederationStore& federation, const Clock& clock,
                                          absl::Duration validity);

  const std::string& server_name() const { return server_name_; }
  const matrix::Ed25519Key& signing_key() const { return key_; }
  // Our key document, signed, valid until now + validity.
  absl::StatusOr<nlohmann::json> Document() const;

 private:
  LocalKeys(std::string server_name, matrix::Ed25519Key key, const Clock& clock,
            absl::Duration validity)
      : server_name_(std::move(server_name)),
        key_(std::move(key)),
        clock_(&clock),
        validity_(validity) {}

  std::string server_name_;
  matrix::Ed25519Key key_;
  std::vector<matrix::OldVerifyKey> old_;
  const Clock* clock_;
  absl::Duration validity_;
};

}  // namespace messenger::federation
