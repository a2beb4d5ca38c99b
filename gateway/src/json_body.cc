#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

absl::Status Missing(const std::string& name) {
  return absl::InvalidArgumentError("field '" + name + "' is required");
}
absl::Status WrongType(const std::string& name, const char* type) {
  return absl::InvalidArgumentError("field '" + name + "' must be " + type);
}

}  // namespace

absl::StatusOr<JsonBody> JsonBody::Parse(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return JsonBody(nlohmann::json::object());
  }
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("request body is not valid JSON");
  if (!json.is_object()) return absl::InvalidArgumentError("request body must be a JSON object");
  return JsonBody(std::move(json));
}

absl::StatusOr<std::string> JsonBody::RequiredString(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return Missing(name);
  if (!it->is_string()) return WrongType(name, "a string");
  return it->get<std::string>();
}

absl::StatusOr<std::optional<std::string>> JsonBody::OptionalString(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return WrongType(name, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

absl::StatusOr<int64_t> JsonBody::RequiredInt(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return Missing(name);
  if (!it->is_number_integer()) return WrongType(name, "an integer");
  return it->get<int64_t>();
}

absl::StatusOr<std::optional<int64_t>> JsonBody::OptionalInt(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return WrongType(name, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

absl::StatusOr<std::vector<std::string>> JsonBody::RequiredStringArray(const std::string& name,
                                                                       size_t max_items) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return Missing(name);
  if (!it->is_array()) return WrongType(name, "an array of strings");
  if (it->size() > max_items) {
    return absl::InvalidArgumentError("field '" + name + "' has more than " +
                                      std::to_string(max_items) + " items");
  }
  std::vector<std::string> out;
  for (const auto& item : *it) {
    if (!item.is_string()) return WrongType(name, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<bool> JsonBody::RequiredBool(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return Missing(name);
  if (!it->is_boolean()) return WrongType(name, "true or false");
  return it->get<bool>();
}

}  // namespace messenger::gateway
