#include "auth-service/src/domain/password_hasher.h"

#include <sodium.h>

#include "common/crypto.h"

namespace messenger::auth {

Argon2Hasher::Argon2Hasher(Argon2Cost cost) : cost_(cost) {
  InitCrypto();
  auto dummy = Hash(RandomToken(SecureRng::Instance(), 16));
  dummy_ = dummy.ok() ? *dummy : "";
}

absl::StatusOr<std::string> Argon2Hasher::Hash(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.opslimit, cost_.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("password hashing ran out of memory");
  }
  return std::string(out);
}

bool Argon2Hasher::Verify(std::string_view encoded, std::string_view password) {
  const std::string terminated(encoded);  // libsodium wants a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void Argon2Hasher::VerifyDummy(std::string_view password) {
  if (!dummy_.empty()) (void)Verify(dummy_, password);
}

}  // namespace messenger::auth
