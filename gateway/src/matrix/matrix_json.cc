#include "gateway/src/matrix/matrix_json.h"

#include "common/status.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

absl::Status WrongType(const std::string& name, std::string_view type) {
  return MatrixError(kBadJson, "'" + name + "' must be " + std::string(type));
}

}  // namespace

absl::StatusOr<MatrixBody> MatrixBody::Parse(std::string_view body) {
  if (body.empty()) return MatrixBody(nlohmann::json::object());
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return MatrixError(kNotJson, "the body is not valid JSON");
  if (!json.is_object()) return MatrixError(kBadJson, "the body must be a JSON object");
  return MatrixBody(std::move(json));
}

absl::StatusOr<std::string> MatrixBody::RequiredString(const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) {
    return MatrixError(kMissingParam, "'" + name + "' is required");
  }
  if (!it->is_string()) return WrongType(name, "a string");
  return it->get<std::string>();
}

absl::StatusOr<std::optional<std::string>> MatrixBody::OptionalString(
    const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return WrongType(name, "a string");
  return it->get<std::string>();
}

absl::StatusOr<bool> MatrixBody::OptionalBool(const std::string& name, bool fallback) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return WrongType(name, "a boolean");
  return it->get<bool>();
}

absl::StatusOr<std::optional<MatrixBody>> MatrixBody::OptionalObject(
    const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return WrongType(name, "an object");
  return MatrixBody(*it);
}

absl::StatusOr<std::optional<nlohmann::json>> MatrixBody::OptionalArray(
    const std::string& name) const {
  auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) return WrongType(name, "an array");
  return *it;
}

absl::StatusOr<std::optional<nlohmann::json>> MatrixBody::OptionalJsonObject(
    const std::string& name) const {
  ASSIGN_OR_RETURN(std::optional<MatrixBody> object, OptionalObject(name));
  if (!object) return std::nullopt;
  return object->json();
}

}  // namespace messenger::gateway::matrix
