#include "auth-service/src/domain/password_hasher.h"

#include <sodium.h>

#include <algorithm>

#include "common/crypto.h"

namespace messenger::auth {
namespace {

class SlotGuard {
 public:
  explicit SlotGuard(std::counting_semaphore<64>& s) : s_(s) { s_.acquire(); }
  ~SlotGuard() { s_.release(); }

 private:
  std::counting_semaphore<64>& s_;
};

}  // namespace

PasswordHasher::PasswordHasher(Argon2Cost cost, int max_concurrent)
    : cost_(cost), slots_(std::clamp(max_concurrent, 1, 64)) {
  InitCrypto();
  auto dummy = Hash(RandomToken(SecureRng::Instance(), 16));
  dummy_ = dummy.ok() ? *dummy : "";
}

absl::StatusOr<std::string> PasswordHasher::Hash(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  SlotGuard slot(slots_);
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.opslimit, cost_.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("password hashing ran out of memory");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(std::string_view encoded, std::string_view password) {
  const std::string terminated(encoded);  // libsodium wants a C string
  SlotGuard slot(slots_);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(std::string_view password) {
  if (!dummy_.empty()) (void)Verify(dummy_, password);
}

}  // namespace messenger::auth
