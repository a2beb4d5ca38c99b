// A ServerKeySource of fixed public keys, one per server name (any key id,
// any time): the tests that sign as a few made-up servers share it.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "messaging-service/src/domain/matrix/pdu_checks.h"

namespace messenger::matrix::testing_keys {

class FixedServerKeys final : public ServerKeySource {
 public:
  // server name -> its public key (Ed25519Key::public_key()); none: no keys.
  explicit FixedServerKeys(std::map<std::string, std::string> public_keys = {})
      : keys_(std::move(public_keys)) {}
  absl::StatusOr<std::string> PublicKeyAt(const std::string& server, const std::string&,
                                          absl::Time) override {
    const auto it = keys_.find(server);
    if (it == keys_.end()) return absl::UnauthenticatedError("unknown server");
    return it->second;
  }

 private:
  std::map<std::string, std::string> keys_;
};

}  // namespace messenger::matrix::testing_keys
