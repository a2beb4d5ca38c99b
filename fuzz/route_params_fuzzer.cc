// The gateway's checks of path and query parameters (gateway/src/params.*):
// whatever a client sends, a parameter is either refused with
// INVALID_ARGUMENT or handed on as valid UTF-8 of the declared shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/src/params.h"

namespace {

using messenger::gateway::ParamShape;
using messenger::gateway::PathParam;
using messenger::gateway::QueryParams;

// Well-formed sequences of lead and continuation bytes (a weaker test than the
// gateway's, which also refuses overlong forms and surrogates).
bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    if (c >= 0x80) {
      if ((c >> 5) == 0x6) {
        extra = 1;
      } else if ((c >> 4) == 0xE) {
        extra = 2;
      } else if ((c >> 3) == 0x1E) {
        extra = 3;
      } else {
        return false;
      }
    }
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += extra + 1;
  }
  return true;
}

void MustBeRefusedOrValid(const absl::StatusOr<std::string>& value) {
  if (!value.ok()) {
    if (value.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    if (value.status().message().empty()) std::abort();  // must name the parameter
    return;
  }
  if (!ValidUtf8(*value)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (ParamShape shape : {ParamShape::kText, ParamShape::kUuid, ParamShape::kRoomId}) {
    absl::StatusOr<std::string> value = PathParam("id", shape, text);
    MustBeRefusedOrValid(value);
    if (value.ok() && shape == ParamShape::kUuid && value->size() != 36) std::abort();
    if (value.ok() && shape == ParamShape::kRoomId && (value->empty() || (*value)[0] != '!')) {
      std::abort();
    }
  }

  absl::StatusOr<QueryParams> query = QueryParams::Parse(text);
  if (!query.ok()) {
    if (query.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  absl::StatusOr<int64_t> limit = query->Int("limit", 1, 100, 50);
  if (limit.ok() && (*limit < 1 || *limit > 100)) std::abort();
  if (!limit.ok() && limit.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  absl::StatusOr<std::string> q = query->Text("q", 64);
  MustBeRefusedOrValid(q);
  if (q.ok() && q->size() > 64) std::abort();
  MustBeRefusedOrValid(query->SyncToken("since"));
  if (std::optional<std::string_view> raw = query->Get("x"); raw.has_value() && !ValidUtf8(*raw)) {
    std::abort();
  }
  return 0;
}
