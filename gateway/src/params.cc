#include "gateway/src/params.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/http/percent.h"
#include "common/status.h"
#include "common/text.h"

namespace messenger::gateway {
namespace {

// Matrix identifiers are at most 255 bytes.
constexpr size_t kMaxRoomIdBytes = 255;
// "s" and the decimal digits of an int64.
// "s<position>" and maybe "t<typing cursor>": 1 + 19 + 1 + 20 bytes at most.
constexpr size_t kMaxSyncTokenBytes = 41;

absl::Status Invalid(std::string_view where, std::string_view name, std::string_view what) {
  std::string message(where);
  message.append(" parameter '").append(name).append("' ").append(what);
  return absl::InvalidArgumentError(message);
}

bool IsRoomId(std::string_view id) {
  if (id.size() < 4 || id.size() > kMaxRoomIdBytes || id.front() != '!') return false;
  const size_t colon = id.find(':');
  return colon != std::string_view::npos && colon > 1 && colon + 1 < id.size();
}

}  // namespace

bool IsEventId(std::string_view id) {
  if (id.size() < 2 || id.size() > kMaxRoomIdBytes || id.front() != '$') return false;
  for (char c : id.substr(1)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=' || c == '_' || c == '-' || c == '.' ||
                    c == ':';
    if (!ok) return false;
  }
  return true;
}

namespace {

absl::Status CheckShape(std::string_view where, std::string_view name, ParamShape shape,
                        std::string_view value) {
  if (!text::IsValidUtf8(value)) return Invalid(where, name, "is not valid UTF-8");
  if (text::HasControlCharacters(value)) {
    return Invalid(where, name, "contains control characters");
  }
  switch (shape) {
    case ParamShape::kText:
      return absl::OkStatus();
    case ParamShape::kUuid:
      if (!IsUuid(value)) return Invalid(where, name, "must be a UUID");
      return absl::OkStatus();
    case ParamShape::kRoomId:
      if (!IsRoomId(value)) return Invalid(where, name, "must be a conversation id (!id:server)");
      return absl::OkStatus();
    case ParamShape::kEventId:
      if (!IsEventId(value)) return Invalid(where, name, "must be a message id ($id)");
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RoutePattern> ParseRoutePattern(std::string_view annotated) {
  RoutePattern out;
  size_t pos = 0;
  while (pos < annotated.size()) {
    const size_t open = annotated.find('{', pos);
    if (open == std::string_view::npos) {
      out.pattern.append(annotated.substr(pos));
      break;
    }
    const size_t close = annotated.find('}', open);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("unclosed '{' in route " + std::string(annotated));
    }
    out.pattern.append(annotated.substr(pos, open - pos));
    std::string_view inner = annotated.substr(open + 1, close - open - 1);
    ParamShape shape = ParamShape::kText;
    const size_t colon = inner.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view shape_name = inner.substr(colon + 1);
      inner = inner.substr(0, colon);
      if (shape_name == "uuid") {
        shape = ParamShape::kUuid;
      } else if (shape_name == "room") {
        shape = ParamShape::kRoomId;
      } else if (shape_name == "message") {
        shape = ParamShape::kEventId;
      } else if (shape_name != "text") {
        return absl::InvalidArgumentError("unknown shape in route " + std::string(annotated));
      }
    }
    out.shapes[std::string(inner)] = shape;
    out.pattern.append("{").append(inner).append("}");
    pos = close + 1;
  }
  return out;
}

absl::StatusOr<std::string> PathParam(std::string_view name, ParamShape shape,
                                      std::string_view raw_segment) {
  std::string value = http::PercentDecodePath(raw_segment);
  if (absl::Status s = CheckShape("path", name, shape, value); !s.ok()) return s;
  return value;
}

absl::StatusOr<QueryParams> QueryParams::Parse(std::string_view raw_query) {
  QueryParams out;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(raw_query.data(), raw_query.size()), '&',
                      absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    std::string name = http::PercentDecode(std::string_view(kv.first.data(), kv.first.size()));
    std::string value = http::PercentDecode(std::string_view(kv.second.data(), kv.second.size()));
    if (!text::IsValidUtf8(name)) {
      return absl::InvalidArgumentError("a query parameter name is not valid UTF-8");
    }
    if (!text::IsValidUtf8(value)) return Invalid("query", name, "is not valid UTF-8");
    out.pairs_.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
  for (const auto& [key, value] : pairs_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

absl::StatusOr<int64_t> QueryParams::Int(std::string_view name, int64_t min, int64_t max,
                                         int64_t fallback) const {
  std::optional<std::string_view> raw = Get(name);
  if (!raw || raw->empty()) return fallback;
  int64_t value = 0;
  // Digits only: SimpleAtoi would also take "+5" and surrounding spaces.
  const bool digits = raw->find_first_not_of("-0123456789") == std::string_view::npos;
  if (!digits || !absl::SimpleAtoi(absl::string_view(raw->data(), raw->size()), &value) ||
      value < min || value > max) {
    return Invalid("query", name, absl::StrCat("must be an integer from ", min, " to ", max));
  }
  return value;
}

absl::StatusOr<std::string> QueryParams::Text(std::string_view name, size_t max_bytes) const {
  std::optional<std::string_view> raw = Get(name);
  if (!raw) return std::string();
  if (raw->size() > max_bytes) {
    return Invalid("query", name, absl::StrCat("is longer than ", max_bytes, " bytes"));
  }
  if (absl::Status s = CheckShape("query", name, ParamShape::kText, *raw); !s.ok()) return s;
  return std::string(*raw);
}

absl::StatusOr<std::string> QueryParams::SyncToken(std::string_view name) const {
  std::optional<std::string_view> raw = Get(name);
  if (!raw || raw->empty()) return std::string();
  auto number = [](std::string_view digits) {
    uint64_t value = 0;
    return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos &&
           absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &value);
  };
  const size_t t = raw->find('t');
  const std::string_view position = raw->substr(1, t == std::string_view::npos ? t : t - 1);
  int64_t signed_position = 0;
  if (raw->size() > kMaxSyncTokenBytes || raw->front() != 's' || !number(position) ||
      !absl::SimpleAtoi(absl::string_view(position.data(), position.size()), &signed_position) ||
      (t != std::string_view::npos && !number(raw->substr(t + 1)))) {
    return Invalid("query", name, "is not a token this server gave out");
  }
  return std::string(*raw);
}

absl::StatusOr<std::vector<std::string>> RepeatedQueryParam(std::string_view raw_query,
                                                            std::string_view name, size_t max) {
  std::vector<std::string> out;
  while (!raw_query.empty()) {
    const size_t amp = raw_query.find('&');
    const std::string_view pair = raw_query.substr(0, amp);
    raw_query.remove_prefix(amp == std::string_view::npos ? raw_query.size() : amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
    if (out.size() == max) {
      return absl::InvalidArgumentError(std::string(name) + " is repeated too often");
    }
    ASSIGN_OR_RETURN(std::string value, PathParam(name, ParamShape::kText, pair.substr(eq + 1)));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace messenger::gateway
