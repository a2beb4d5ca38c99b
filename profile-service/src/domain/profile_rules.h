// Profile rules, free of IO: field validation and search input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace messenger::profile {

// Trimmed, 1..64 characters, no control characters.
absl::StatusOr<std::string> NormalizeDisplayName(std::string_view raw);
// "" clears it; otherwise mxc://<server>/<media id> or https://<host>..., at most
// 2048 bytes, no whitespace or control characters.
absl::StatusOr<std::string> NormalizeAvatarUrl(std::string_view raw);
// At most 500 characters; line breaks and tabs allowed, other controls not.
absl::StatusOr<std::string> NormalizeBio(std::string_view raw);

// The pattern for a case-insensitive prefix LIKE with '%', '_' and '\' escaped;
// INVALID_ARGUMENT for an empty or over-long query.
absl::StatusOr<std::string> UsernamePrefixPattern(std::string_view query);
// The limit clamped to [1, 50]; 0 means the default of 20.
int ClampSearchLimit(int requested);

}  // namespace messenger::profile
