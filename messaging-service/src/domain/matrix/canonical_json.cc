#include "messaging-service/src/domain/matrix/canonical_json.h"

#include <cmath>
#include <map>
#include <set>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/text.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

// std::map with std::less<> compares keys as unsigned bytes, and for valid
// UTF-8 byte order is code point order: iterating an object is already the
// canonical key order.
static_assert(std::is_same_v<Json::object_t, std::map<std::string, Json, std::less<>>>);

absl::Status CheckString(const std::string& s) {
  if (!text::IsValidUtf8(s)) return absl::InvalidArgumentError("JSON string is not valid UTF-8");
  return absl::OkStatus();
}

absl::Status Encode(const Json& value, int depth, std::string& out) {
  if (depth > kMaxJsonDepth) return absl::InvalidArgumentError("JSON nested too deeply");
  switch (value.type()) {
    case Json::value_t::null:
      out.append("null");
      return absl::OkStatus();
    case Json::value_t::boolean:
      out.append(value.get<bool>() ? "true" : "false");
      return absl::OkStatus();
    case Json::value_t::number_integer: {
      const int64_t v = value.get<int64_t>();
      if (v < kMinSafeInteger || v > kMaxSafeInteger) {
        return absl::InvalidArgumentError(absl::StrCat("integer out of canonical range: ", v));
      }
      absl::StrAppend(&out, v);
      return absl::OkStatus();
    }
    case Json::value_t::number_unsigned: {
      const uint64_t v = value.get<uint64_t>();
      if (v > static_cast<uint64_t>(kMaxSafeInteger)) {
        return absl::InvalidArgumentError(absl::StrCat("integer out of canonical range: ", v));
      }
      absl::StrAppend(&out, v);
      return absl::OkStatus();
    }
    case Json::value_t::number_float:
      return absl::InvalidArgumentError("floats are not allowed in canonical JSON");
    case Json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      RETURN_IF_ERROR(CheckString(s));
      text::AppendJsonString(s, out);
      return absl::OkStatus();
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const Json& item : value) {
        if (!first) out.push_back(',');
        first = false;
        RETURN_IF_ERROR(Encode(item, depth + 1, out));
      }
      out.push_back(']');
      return absl::OkStatus();
    }
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out.push_back(',');
        first = false;
        RETURN_IF_ERROR(CheckString(key));
        text::AppendJsonString(key, out);
        out.push_back(':');
        RETURN_IF_ERROR(Encode(item, depth + 1, out));
      }
      out.push_back('}');
      return absl::OkStatus();
    }
    case Json::value_t::binary:
      return absl::InvalidArgumentError("binary values have no JSON encoding");
    case Json::value_t::discarded:
      break;
  }
  return absl::InvalidArgumentError("invalid JSON value");
}

// Rewrites integral floats as integers; rejects everything else non-canonical.
absl::Status NormalizeNumbers(Json& value, int depth) {
  if (depth > kMaxJsonDepth) return absl::InvalidArgumentError("JSON nested too deeply");
  switch (value.type()) {
    case Json::value_t::number_float: {
      const double v = value.get<double>();
      if (!std::isfinite(v) || std::trunc(v) != v) {
        return absl::InvalidArgumentError("non-integer numbers are not allowed");
      }
      if (std::fabs(v) > static_cast<double>(kMaxSafeInteger)) {
        return absl::InvalidArgumentError("integer out of canonical range");
      }
      value = static_cast<int64_t>(v);  // -0.0 becomes 0
      return absl::OkStatus();
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      const bool in_range =
          value.is_number_unsigned()
              ? value.get<uint64_t>() <= static_cast<uint64_t>(kMaxSafeInteger)
              : value.get<int64_t>() >= kMinSafeInteger && value.get<int64_t>() <= kMaxSafeInteger;
      if (!in_range) return absl::InvalidArgumentError("integer out of canonical range");
      return absl::OkStatus();
    }
    case Json::value_t::array:
    case Json::value_t::object:
      for (Json& item : value) RETURN_IF_ERROR(NormalizeNumbers(item, depth + 1));
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<std::string> CanonicalJson(const nlohmann::json& value) {
  std::string out;
  RETURN_IF_ERROR(Encode(value, 0, out));
  return out;
}

absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text) {
  // nlohmann keeps the last of duplicate keys silently; track keys per open
  // object so that ambiguous input is rejected instead.
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  bool too_deep = false;
  const auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxJsonDepth) too_deep = true;
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json value = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (value.is_discarded()) return absl::InvalidArgumentError("malformed JSON");
  if (too_deep) return absl::InvalidArgumentError("JSON nested too deeply");
  if (duplicate) return absl::InvalidArgumentError("duplicate key in JSON object");
  RETURN_IF_ERROR(NormalizeNumbers(value, 0));
  return value;
}

}  // namespace messenger::matrix
