// Randomness, ids, hashes and encodings (libsodium underneath).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace messenger {

// Injected randomness.
class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(void* data, size_t size) = 0;
  std::string Bytes(size_t size);
};

// Cryptographically secure (libsodium).
class SecureRng final : public Rng {
 public:
  void Fill(void* data, size_t size) override;
  static SecureRng& Instance();
};

// Initialises libsodium once; safe to call many times.
void InitCrypto();

// Random UUID version 4, lowercase.
std::string NewUuid(Rng& rng);
// UUID version 7 (RFC 9562): Unix milliseconds, then 74 random bits. Ids made
// later sort later, so a B-tree over them grows at its right edge instead of
// dirtying a random page per insert (outbox and event ids).
std::string NewTimeOrderedUuid(Rng& rng, int64_t unix_millis);
bool IsUuid(std::string_view text);

// `bytes` random bytes as unpadded base64url (32 bytes -> 43 characters).
std::string RandomToken(Rng& rng, size_t bytes = 32);

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);

std::string HexEncode(std::string_view raw);
std::string Base64UrlEncode(std::string_view raw);  // unpadded, url-safe
std::string Base64Encode(std::string_view raw);     // unpadded, standard alphabet
// Accepts padded or unpadded input of the given alphabet.
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace messenger
