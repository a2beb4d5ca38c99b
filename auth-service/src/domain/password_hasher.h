// argon2id password hashing (libsodium crypto_pwhash_str). Each hash needs
// `memlimit` bytes, so at most `max_concurrent` run at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <semaphore>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace messenger::auth {

struct Argon2Cost {
  uint64_t opslimit = 2;                 // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memlimit = 64ull * 1024 * 1024;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Cost cost, int max_concurrent = 2);

  // The encoded "$argon2id$..." string (salt and parameters included).
  absl::StatusOr<std::string> Hash(std::string_view password);
  bool Verify(std::string_view encoded, std::string_view password);
  // Spends the time of a Verify without an account: answers for unknown users
  // take as long as for known ones.
  void VerifyDummy(std::string_view password);

 private:
  Argon2Cost cost_;
  std::counting_semaphore<64> slots_;
  std::string dummy_;
};

}  // namespace messenger::auth
