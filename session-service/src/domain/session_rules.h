// Session rules, free of IO: token verdicts (expiry, revocation, refresh
// rotation with reuse detection), device names, revoke reasons.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto.h"

namespace messenger::session {

enum class TokenKind { kAccess = 1, kRefresh = 2 };

// What the store knows about a presented token.
struct TokenState {
  TokenKind kind = TokenKind::kAccess;
  absl::Time expires_at;
  std::optional<absl::Time> used_at;              // refresh tokens only
  std::optional<absl::Time> session_revoked_at;
};

enum class AccessVerdict { kValid, kExpired, kRevoked, kWrongKind };
AccessVerdict JudgeAccess(const TokenState& token, absl::Time now);

enum class RefreshVerdict {
  kRotate,     // valid: issue a new pair, mark this one used
  kReuse,      // already used: someone replayed it; revoke the session
  kExpired,
  kRevoked,
  kWrongKind,
};
RefreshVerdict JudgeRefresh(const TokenState& token, absl::Time now);

// last_seen_at is written at most once per this period (saves a write per request).
inline constexpr absl::Duration kLastSeenGranularity = absl::Seconds(60);
bool LastSeenIsStale(absl::Time last_seen, absl::Time now);

// Trimmed; empty becomes "unknown device"; at most 64 characters, no control
// characters (INVALID_ARGUMENT otherwise).
absl::StatusOr<std::string> NormalizeDeviceName(std::string_view raw);

// A client-chosen Matrix device id: 1..64 printable ASCII characters without
// spaces (INVALID_ARGUMENT otherwise). "" asks for a generated one.
absl::Status ValidateDeviceId(std::string_view device_id);
// A generated device id: 10 uppercase letters.
std::string NewDeviceId(Rng& rng);

// ValidateSession's message for an expired access token of a live session
// (the gateway answers Matrix soft_logout for it; see session.proto).
inline constexpr char kAccessTokenExpired[] = "access token expired";

enum class RevokeReason { kLogout, kRevoked, kRefreshReuse, kDeactivated };
// "logout" | "revoked" | "refresh_reuse" | "deactivated" (the session.revoked
// event's reason).
std::string_view RevokeReasonName(RevokeReason reason);

}  // namespace messenger::session
