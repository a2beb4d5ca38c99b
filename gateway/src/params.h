// Path and query parameters of the /v1 routes, checked at the gateway before
// anything reaches a service: valid UTF-8 and the expected shape, or
// INVALID_ARGUMENT naming the parameter (api.md). Pure, no IO: the fuzzer
// drives it.
//
// Route patterns declare path shapes once: "/v1/users/{user_id:uuid}/profile".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace messenger::gateway {

enum class ParamShape {
  kText,    // any valid UTF-8 without control characters
  kUuid,    // 8-4-4-4-12 hex digits
  kRoomId,  // Matrix "!opaque:server"
  kEventId,  // a message id: Matrix "$opaque" (":server" in old room versions)
};

// "$" and 1 to 254 characters of base64 (either alphabet), '.', ':' or '-'.
bool IsEventId(std::string_view id);

// A route pattern with its shapes taken out ("{user_id:uuid}" -> "{user_id}")
// and the shape of each path parameter.
struct RoutePattern {
  std::string pattern;
  std::map<std::string, ParamShape> shapes;
};
// Fails on an unknown shape name (a programming error in a route table).
absl::StatusOr<RoutePattern> ParseRoutePattern(std::string_view annotated);

// Decodes one raw path segment and checks its shape.
absl::StatusOr<std::string> PathParam(std::string_view name, ParamShape shape,
                                      std::string_view raw_segment);

// Every value of a repeated query parameter (QueryParams keeps the first),
// decoded; InvalidArgument past `max` values.
absl::StatusOr<std::vector<std::string>> RepeatedQueryParam(std::string_view raw_query,
                                                            std::string_view name, size_t max);

// Decoded query parameters (first occurrence of a name wins).
class QueryParams {
 public:
  QueryParams() = default;
  // Every name and value must be valid UTF-8 after decoding.
  static absl::StatusOr<QueryParams> Parse(std::string_view raw_query);

  std::optional<std::string_view> Get(std::string_view name) const;
  // Absent or empty -> `fallback`; otherwise a decimal integer in [min, max].
  absl::StatusOr<int64_t> Int(std::string_view name, int64_t min, int64_t max,
                              int64_t fallback) const;
  // Absent -> ""; at most `max_bytes`, no control characters.
  absl::StatusOr<std::string> Text(std::string_view name, size_t max_bytes) const;
  // Absent or empty -> ""; otherwise a sync token as /v1/sync gives out ("s<position>").
  absl::StatusOr<std::string> SyncToken(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace messenger::gateway
