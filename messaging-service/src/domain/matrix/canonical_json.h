// Canonical JSON (Matrix spec appendices, "Canonical JSON").
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// Integers must round-trip through IEEE doubles: [-(2^53)+1, 2^53-1].
inline constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;
inline constexpr int64_t kMinSafeInteger = -kMaxSafeInteger;

// Objects nested deeper than this are rejected (bounds recursion).
inline constexpr int kMaxJsonDepth = 256;

// The canonical encoding of `value`: no insignificant whitespace, object keys
// sorted by code point, minimal string escapes, raw UTF-8. Floats, integers
// outside the safe range, invalid UTF-8 and binary values are
// InvalidArgument.
absl::StatusOr<std::string> CanonicalJson(const nlohmann::json& value);

// Parses JSON text for use with CanonicalJson. Integral numbers written as
// floats or with exponents ("1e10", "-0.0") become integers, as the spec's
// own example expects; fractions, out-of-range numbers, duplicate object
// keys and syntax errors are InvalidArgument. Never throws.
absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text);

}  // namespace messenger::matrix
