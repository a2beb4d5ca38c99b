// Reading JSON request bodies with clear 400 errors: malformed JSON, wrong
// types and missing fields are INVALID_ARGUMENT naming the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace messenger::gateway {

class JsonBody {
 public:
  // The body must be a JSON object; an empty body is an empty object.
  static absl::StatusOr<JsonBody> Parse(std::string_view body);

  absl::StatusOr<std::string> RequiredString(const std::string& name) const;
  absl::StatusOr<std::optional<std::string>> OptionalString(const std::string& name) const;
  absl::StatusOr<int64_t> RequiredInt(const std::string& name) const;
  absl::StatusOr<std::optional<int64_t>> OptionalInt(const std::string& name) const;
  absl::StatusOr<std::vector<std::string>> RequiredStringArray(const std::string& name,
                                                               size_t max_items) const;
  bool Has(const std::string& name) const { return json_.contains(name); }
  absl::StatusOr<bool> RequiredBool(const std::string& name) const;

 private:
  explicit JsonBody(nlohmann::json json) : json_(std::move(json)) {}
  nlohmann::json json_;
};

}  // namespace messenger::gateway
