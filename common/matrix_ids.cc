#include "common/matrix_ids.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"

namespace messenger::matrix {
namespace {

bool AllOf(absl::string_view s, bool (*pred)(char)) {
  for (const char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsDnsChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}
bool IsIpv6Char(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}
bool IsUserIdChar(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '.' || c == '=' || c == '_' ||
         c == '/' || c == '+';
}
bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

bool IsValidHostname(absl::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.back() != ']') return false;
    const absl::string_view ip = host.substr(1, host.size() - 2);
    return ip.size() >= 2 && ip.size() <= 45 && AllOf(ip, IsIpv6Char);
  }
  // IPv4 literals are a subset of the DNS name characters.
  return host.size() <= 255 && AllOf(host, IsDnsChar);
}

// Splits "<sigil>local:domain" at the first ':'.
bool SplitId(absl::string_view id, char sigil, absl::string_view& local,
             absl::string_view& domain) {
  if (id.empty() || id.front() != sigil) return false;
  const size_t colon = id.find(':');
  if (colon == absl::string_view::npos) return false;
  local = id.substr(1, colon - 1);
  domain = id.substr(colon + 1);
  return true;
}

}  // namespace

bool IsValidServerName(absl::string_view server_name) {
  absl::string_view host = server_name;
  // The port follows the last ':' outside an IPv6 literal.
  const size_t bracket = server_name.rfind(']');
  const size_t colon = server_name.rfind(':');
  if (colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket)) {
    const absl::string_view port = server_name.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !AllOf(port, IsDigit)) return false;
    host = server_name.substr(0, colon);
  }
  return IsValidHostname(host);
}

bool IsValidUserId(absl::string_view user_id) {
  absl::string_view local, domain;
  return user_id.size() <= kMaxIdentifierBytes && SplitId(user_id, '@', local, domain) &&
         !local.empty() && AllOf(local, IsUserIdChar) && IsValidServerName(domain);
}

bool IsHistoricalUserId(absl::string_view user_id) {
  absl::string_view local, domain;
  return user_id.size() <= kMaxIdentifierBytes && SplitId(user_id, '@', local, domain) &&
         local.find('\0') == absl::string_view::npos &&
         text::IsValidUtf8(std::string_view(local.data(), local.size())) &&
         IsValidServerName(domain);
}

absl::StatusOr<std::string> MakeUserId(absl::string_view localpart, absl::string_view server_name) {
  std::string id = absl::StrCat("@", localpart, ":", server_name);
  if (!IsValidUserId(id)) return absl::InvalidArgumentError(absl::StrCat("invalid user id: ", id));
  return id;
}

bool IsValidRoomId(absl::string_view room_id) {
  absl::string_view local, domain;
  return room_id.size() <= kMaxIdentifierBytes && SplitId(room_id, '!', local, domain) &&
         !local.empty() && local.find('\0') == absl::string_view::npos &&
         text::IsValidUtf8(std::string_view(local.data(), local.size())) &&
         IsValidServerName(domain);
}

absl::StatusOr<std::string> MakeRoomId(absl::string_view opaque, absl::string_view server_name) {
  std::string id = absl::StrCat("!", opaque, ":", server_name);
  if (!IsValidRoomId(id) || opaque.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid room id: ", id));
  }
  return id;
}

absl::StatusOr<std::string> NewRoomId(Rng& rng, absl::string_view server_name) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr size_t kLength = 18;
  std::string opaque;
  while (opaque.size() < kLength) {
    // Rejection sampling keeps the characters uniform: 248 = 4 * 62.
    const unsigned char b = static_cast<unsigned char>(rng.Bytes(1)[0]);
    if (b < 248) opaque.push_back(kAlphabet[b % 62]);
  }
  return MakeRoomId(opaque, server_name);
}

bool IsValidEventId(absl::string_view event_id) {
  static constexpr size_t kHashChars = 43;  // unpadded base64 of 32 bytes
  if (event_id.size() != kHashChars + 1 || event_id.front() != '$') return false;
  return AllOf(event_id.substr(1), [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
}

absl::StatusOr<std::string> ServerNameOf(absl::string_view id) {
  const size_t colon = id.find(':');
  if (id.empty() || colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("identifier has no server name: ", id));
  }
  absl::string_view domain = id.substr(colon + 1);
  if (!IsValidServerName(domain)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid server name in ", id));
  }
  return std::string(domain);
}

}  // namespace messenger::matrix
