#include "common/crypto.h"

#include <algorithm>

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace messenger {
namespace {

std::string Base64(std::string_view raw, int variant) {
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), variant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<std::string> Unbase64(std::string_view text, int variant) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string Rng::Bytes(size_t size) {
  std::string out(size, '\0');
  Fill(out.data(), size);
  return out;
}

void SecureRng::Fill(void* data, size_t size) { randombytes_buf(data, size); }

SecureRng& SecureRng::Instance() {
  InitCrypto();
  static SecureRng rng;
  return rng;
}

void InitCrypto() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // No safe randomness: nothing can work.
  });
}

namespace {

std::string FormatUuid(unsigned char (&b)[16], int version) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace

std::string NewUuid(Rng& rng) {
  unsigned char b[16];
  rng.Fill(b, sizeof b);
  return FormatUuid(b, 4);
}

std::string NewTimeOrderedUuid(Rng& rng, int64_t unix_millis) {
  unsigned char b[16];
  rng.Fill(b, sizeof b);
  const uint64_t millis = static_cast<uint64_t>(std::max<int64_t>(unix_millis, 0));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(millis >> (8 * (5 - i)));
  return FormatUuid(b, 7);
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string RandomToken(Rng& rng, size_t bytes) { return Base64UrlEncode(rng.Bytes(bytes)); }

std::string Sha256(std::string_view data) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Base64UrlEncode(std::string_view raw) {
  return Base64(raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string Base64Encode(std::string_view raw) {
  return Base64(raw, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  return Unbase64(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> Base64Decode(std::string_view text) {
  return Unbase64(text, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

}  // namespace messenger
