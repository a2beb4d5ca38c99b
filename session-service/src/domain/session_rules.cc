#include "session-service/src/domain/session_rules.h"

#include "common/text.h"

namespace messenger::session {

AccessVerdict JudgeAccess(const TokenState& token, absl::Time now) {
  if (token.kind != TokenKind::kAccess) return AccessVerdict::kWrongKind;
  if (token.session_revoked_at) return AccessVerdict::kRevoked;
  if (now >= token.expires_at) return AccessVerdict::kExpired;
  return AccessVerdict::kValid;
}

RefreshVerdict JudgeRefresh(const TokenState& token, absl::Time now) {
  if (token.kind != TokenKind::kRefresh) return RefreshVerdict::kWrongKind;
  if (token.session_revoked_at) return RefreshVerdict::kRevoked;
  // Reuse wins over expiry: a replayed token is evidence of theft either way,
  // but an expired session needs no revocation.
  if (now >= token.expires_at) return RefreshVerdict::kExpired;
  if (token.used_at) return RefreshVerdict::kReuse;
  return RefreshVerdict::kRotate;
}

bool LastSeenIsStale(absl::Time last_seen, absl::Time now) {
  return now - last_seen >= kLastSeenGranularity;
}

absl::StatusOr<std::string> NormalizeDeviceName(std::string_view raw) {
  std::string name = text::Trim(raw);
  if (name.empty()) return std::string("unknown device");
  if (!text::IsValidUtf8(name)) return absl::InvalidArgumentError("device_name is not valid UTF-8");
  if (text::CodePointCount(name) > 64) {
    return absl::InvalidArgumentError("device_name is longer than 64 characters");
  }
  if (text::HasControlCharacters(name)) {
    return absl::InvalidArgumentError("device_name contains control characters");
  }
  return name;
}

absl::Status ValidateDeviceId(std::string_view device_id) {
  if (device_id.empty() || device_id.size() > 64) {
    return absl::InvalidArgumentError("device_id must have 1 to 64 characters");
  }
  for (char c : device_id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError("device_id must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

std::string NewDeviceId(Rng& rng) {
  std::string id(10, 'A');
  unsigned char bytes[10];
  rng.Fill(bytes, sizeof bytes);
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<char>('A' + bytes[i] % 26);
  return id;
}

std::string_view RevokeReasonName(RevokeReason reason) {
  switch (reason) {
    case RevokeReason::kLogout: return "logout";
    case RevokeReason::kRevoked: return "revoked";
    case RevokeReason::kRefreshReuse: return "refresh_reuse";
    case RevokeReason::kDeactivated: return "deactivated";
  }
  return "revoked";
}

}  // namespace messenger::session
