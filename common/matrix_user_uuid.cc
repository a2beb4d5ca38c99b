#include "common/matrix_user_uuid.h"

#include "common/crypto.h"

namespace messenger {
namespace {

constexpr char kNamespace[] = "messenger.matrix.remote-user";

}  // namespace

std::string RemoteUserUuid(std::string_view matrix_user_id) {
  std::string input(kNamespace);
  input.push_back('\0');
  input.append(matrix_user_id);
  std::string b = Sha256(input).substr(0, 16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x50);  // version 5 (name-based)
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace messenger
