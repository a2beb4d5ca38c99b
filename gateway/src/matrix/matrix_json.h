// Matrix request bodies: M_NOT_JSON when the body is not a JSON object,
// M_BAD_JSON for a field of the wrong type, M_MISSING_PARAM for a missing one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace messenger::gateway::matrix {

class MatrixBody {
 public:
  // An empty body is an empty object.
  static absl::StatusOr<MatrixBody> Parse(std::string_view body);
  explicit MatrixBody(nlohmann::json json) : json_(std::move(json)) {}

  absl::StatusOr<std::string> RequiredString(const std::string& name) const;
  absl::StatusOr<std::optional<std::string>> OptionalString(const std::string& name) const;
  absl::StatusOr<bool> OptionalBool(const std::string& name, bool fallback) const;
  // A nested object (absent: nullopt).
  absl::StatusOr<std::optional<MatrixBody>> OptionalObject(const std::string& name) const;
  // A JSON array, or an object when `object` (absent or null: nullopt).
  absl::StatusOr<std::optional<nlohmann::json>> OptionalArray(const std::string& name) const;
  absl::StatusOr<std::optional<nlohmann::json>> OptionalJsonObject(const std::string& name) const;
  const nlohmann::json& json() const { return json_; }

 private:
  nlohmann::json json_;
};

}  // namespace messenger::gateway::matrix
