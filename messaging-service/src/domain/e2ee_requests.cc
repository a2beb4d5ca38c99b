#include "messaging-service/src/domain/e2ee_requests.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}
absl::Status TooLarge(std::string_view message) {
  return absl::OutOfRangeError(std::string(message));
}

absl::StatusOr<json> ParseObject(std::string_view body) {
  json parsed = body.empty() ? json::object() : json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return Bad("the body must be a JSON object");
  return parsed;
}

// `name` of `object` when present and not null; INVALID_ARGUMENT unless an
// object.
absl::StatusOr<const json*> OptionalObject(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_object()) return Bad(absl::StrCat("'", name, "' must be an object"));
  return &*it;
}

bool IsStringMap(const json& value) {
  if (!value.is_object()) return false;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) return false;
  }
  return true;
}

absl::Status CheckDeviceKeys(const json& keys, const E2eeCaller& caller) {
  auto string_field = [&keys](const char* name) -> const json* {
    auto it = keys.find(name);
    return it != keys.end() && it->is_string() ? &*it : nullptr;
  };
  const json* user_id = string_field("user_id");
  const json* device_id = string_field("device_id");
  if (user_id == nullptr || device_id == nullptr) {
    return Bad("device_keys needs the strings user_id and device_id");
  }
  if (user_id->get<std::string>() != caller.matrix_user_id)
    return Bad("device_keys.user_id is not the caller");
  if (device_id->get<std::string>() != caller.device_id)
    return Bad("device_keys.device_id is not this device");
  auto algorithms = keys.find("algorithms");
  if (algorithms == keys.end() || !algorithms->is_array()) {
    return Bad("device_keys.algorithms must be an array of strings");
  }
  for (const auto& a : *algorithms) {
    if (!a.is_string()) return Bad("device_keys.algorithms must be an array of strings");
  }
  auto key_map = keys.find("keys");
  if (key_map == keys.end() || !IsStringMap(*key_map)) {
    return Bad("device_keys.keys must map key ids to strings");
  }
  auto signatures = keys.find("signatures");
  if (signatures == keys.end() || !signatures->is_object()) {
    return Bad("device_keys.signatures must be an object");
  }
  for (const auto& [user, by_key] : signatures->items()) {
    if (!IsStringMap(by_key)) return Bad("device_keys.signatures must map to key id -> string");
  }
  return absl::OkStatus();
}

// "<algorithm>:<key_id>" -> a string or a signed key object.
absl::Status AddKeys(const json& keys, const char* name, std::vector<UploadedKey>& out) {
  for (const auto& [id, value] : keys.items()) {
    const size_t colon = id.find(':');
    if (colon == 0 || colon == std::string::npos || colon + 1 == id.size()) {
      return Bad(absl::StrCat(name, " ids are <algorithm>:<key id>"));
    }
    if (!value.is_string() && !value.is_object()) {
      return Bad(absl::StrCat(name, " values are strings or key objects"));
    }
    std::string text = value.dump();
    if (text.size() > kMaxKeyBytes)
      return TooLarge(absl::StrCat("a key of ", name, " is too large"));
    out.push_back({id.substr(0, colon), id.substr(colon + 1), std::move(text)});
  }
  return absl::OkStatus();
}

absl::Status CheckDeviceCount(int64_t count, const E2eeLimits& limits) {
  if (count > limits.max_devices_per_request) {
    return TooLarge(
        absl::StrCat("a request names at most ", limits.max_devices_per_request, " devices"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KeyUpload> ParseKeyUpload(std::string_view body, const E2eeCaller& caller,
                                         const E2eeLimits& limits) {
  ASSIGN_OR_RETURN(json parsed, ParseObject(body));
  KeyUpload upload;
  ASSIGN_OR_RETURN(const json* device_keys, OptionalObject(parsed, "device_keys"));
  if (device_keys != nullptr) {
    RETURN_IF_ERROR(CheckDeviceKeys(*device_keys, caller));
    upload.device_keys = device_keys->dump();
    if (upload.device_keys->size() > kMaxDeviceKeysBytes)
      return TooLarge("device_keys is too large");
  }
  ASSIGN_OR_RETURN(const json* one_time, OptionalObject(parsed, "one_time_keys"));
  ASSIGN_OR_RETURN(const json* fallback, OptionalObject(parsed, "fallback_keys"));
  const size_t count = (one_time ? one_time->size() : 0) + (fallback ? fallback->size() : 0);
  if (static_cast<int64_t>(count) > limits.max_keys_per_upload) {
    return TooLarge(absl::StrCat("one upload holds at most ", limits.max_keys_per_upload, " keys"));
  }
  if (one_time != nullptr)
    RETURN_IF_ERROR(AddKeys(*one_time, "one_time_keys", upload.one_time_keys));
  if (fallback != nullptr)
    RETURN_IF_ERROR(AddKeys(*fallback, "fallback_keys", upload.fallback_keys));
  return upload;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> ParseKeyQuery(
    std::string_view body, const E2eeLimits& limits) {
  ASSIGN_OR_RETURN(json parsed, ParseObject(body));
  ASSIGN_OR_RETURN(const json* users, OptionalObject(parsed, "device_keys"));
  if (users == nullptr) return Bad("'device_keys' is required");
  std::map<std::string, std::vector<std::string>> query;
  int64_t named = 0;
  for (const auto& [user, devices] : users->items()) {
    if (!devices.is_array()) return Bad("device_keys maps user ids to arrays of device ids");
    std::vector<std::string>& out = query[user];
    for (const auto& device : devices) {
      if (!device.is_string()) return Bad("device_keys maps user ids to arrays of device ids");
      out.push_back(device.get<std::string>());
    }
    named += std::max<int64_t>(1, static_cast<int64_t>(out.size()));
  }
  RETURN_IF_ERROR(CheckDeviceCount(named, limits));
  return query;
}

absl::StatusOr<std::vector<ClaimTarget>> ParseKeyClaim(std::string_view body,
                                                       const E2eeLimits& limits) {
  ASSIGN_OR_RETURN(json parsed, ParseObject(body));
  ASSIGN_OR_RETURN(const json* users, OptionalObject(parsed, "one_time_keys"));
  if (users == nullptr) return Bad("'one_time_keys' is required");
  std::vector<ClaimTarget> targets;
  for (const auto& [user, devices] : users->items()) {
    if (!IsStringMap(devices)) return Bad("one_time_keys maps users to device -> algorithm");
    for (const auto& [device, algorithm] : devices.items()) {
      targets.push_back({user, device, algorithm.get<std::string>()});
    }
  }
  RETURN_IF_ERROR(CheckDeviceCount(static_cast<int64_t>(targets.size()), limits));
  return targets;
}

absl::StatusOr<std::vector<ToDeviceMessage>> ParseSendToDevice(std::string_view body,
                                                               const E2eeLimits& limits) {
  ASSIGN_OR_RETURN(json parsed, ParseObject(body));
  ASSIGN_OR_RETURN(const json* users, OptionalObject(parsed, "messages"));
  if (users == nullptr) return Bad("'messages' is required");
  std::vector<ToDeviceMessage> messages;
  for (const auto& [user, devices] : users->items()) {
    if (!devices.is_object()) return Bad("messages maps users to device -> content");
    for (const auto& [device, content] : devices.items()) {
      if (!content.is_object()) return Bad("a to-device content must be an object");
      std::string text = content.dump();
      if (text.size() > kMaxToDeviceContentBytes)
        return TooLarge("a to-device content is too large");
      messages.push_back({user, device, std::move(text)});
    }
  }
  RETURN_IF_ERROR(CheckDeviceCount(static_cast<int64_t>(messages.size()), limits));
  return messages;
}

std::string ToDeviceEvent(std::string_view type, std::string_view sender,
                          std::string_view content) {
  json event = {{"type", std::string(type)}, {"sender", std::string(sender)}};
  event["content"] = json::parse(content, nullptr, false);
  return event.dump();
}

std::optional<std::string> LocalpartOf(std::string_view user_id, std::string_view server_name) {
  if (user_id.size() < 2 || user_id[0] != '@') return std::nullopt;
  const size_t colon = user_id.find(':');
  if (colon == std::string_view::npos || colon == 1) return std::nullopt;
  if (user_id.substr(colon + 1) != server_name) return std::nullopt;
  return std::string(user_id.substr(1, colon - 1));
}

std::string MatrixUserIdOf(std::string_view localpart, std::string_view server_name) {
  if (localpart.find(':') != std::string_view::npos) return std::string(localpart);
  return "@" + std::string(localpart) + ":" + std::string(server_name);
}

}  // namespace messenger::messaging
