#include "messaging-service/src/federation/local_keys.h"

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/status.h"

namespace messenger::federation {
namespace {

absl::StatusOr<matrix::Ed25519Key> FromStored(const std::pair<std::string, std::string>& stored) {
  const std::string& key_id = stored.first;
  return matrix::Ed25519Key::FromSeed(stored.second, key_id.substr(key_id.find(':') + 1));
}

}  // namespace

absl::StatusOr<matrix::Ed25519Key> LoadSigningKey(messaging::MessagingStore& store,
                                                  const std::string& key_file, Rng& rng) {
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) return absl::FailedPreconditionError("cannot read MESSENGER_MATRIX_SIGNING_KEY_FILE");
    std::stringstream text;
    text << in.rdbuf();
    return matrix::ParseSigningKeyFile(text.str());
  }
  ASSIGN_OR_RETURN(auto stored, store.SigningKey());
  if (stored) return FromStored(*stored);
  const std::string version = "a_" + HexEncode(rng.Bytes(3));
  ASSIGN_OR_RETURN(matrix::Ed25519Key key, matrix::Ed25519Key::Generate(rng, version));
  RETURN_IF_ERROR(store.SaveSigningKey(key.key_id(), key.seed()));
  // Another replica may have saved one at the same moment: use the stored one.
  ASSIGN_OR_RETURN(stored, store.SigningKey());
  if (!stored) return absl::InternalError("signing key not saved");
  return FromStored(*stored);
}

absl::StatusOr<LocalKeys> LocalKeys::Create(std::string server_name, matrix::Ed25519Key key,
                                            messaging::MessagingStore& store,
                                            FederationStore& federation, const Clock& clock,
                                            absl::Duration validity) {
  const absl::Time now = clock.Now();
  ASSIGN_OR_RETURN(auto stored, store.SigningKey());
  if (stored && stored->first != key.key_id()) {
    // The generated key signed events before the key file replaced it.
    ASSIGN_OR_RETURN(matrix::Ed25519Key previous, FromStored(*stored));
    RETURN_IF_ERROR(federation.RetireVerifyKey(previous.key_id(), previous.public_key(), now));
  }
  LocalKeys keys(std::move(server_name), std::move(key), clock, validity);
  ASSIGN_OR_RETURN(keys.old_,
                   federation.UseVerifyKey(keys.key_.key_id(), keys.key_.public_key(), now));
  return keys;
}

absl::StatusOr<nlohmann::json> LocalKeys::Document() const {
  return matrix::BuildServerKeys(server_name_, {key_}, old_, clock_->Now() + validity_);
}

}  // namespace messenger::federation
