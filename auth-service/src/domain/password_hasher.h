// Password hashing: an interface (tests count or fake the checks) and argon2id
// through libsodium (crypto_pwhash_str). How many hashes run at once is the
// HashQueue's business, not the hasher's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace messenger::auth {

class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  // The encoded "$argon2id$..." string (salt and parameters included).
  virtual absl::StatusOr<std::string> Hash(std::string_view password) = 0;
  virtual bool Verify(std::string_view encoded, std::string_view password) = 0;
  // Spends the time of a Verify without an account: answers for unknown users
  // take as long as for known ones.
  virtual void VerifyDummy(std::string_view password) = 0;
};

struct Argon2Cost {
  uint64_t opslimit = 2;                 // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memlimit = 64ull * 1024 * 1024;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

class Argon2Hasher final : public PasswordHasher {
 public:
  explicit Argon2Hasher(Argon2Cost cost);

  absl::StatusOr<std::string> Hash(std::string_view password) override;
  bool Verify(std::string_view encoded, std::string_view password) override;
  void VerifyDummy(std::string_view password) override;

 private:
  Argon2Cost cost_;
  std::string dummy_;
};

}  // namespace messenger::auth
