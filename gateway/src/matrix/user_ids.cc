#include "gateway/src/matrix/user_ids.h"

#include "absl/strings/ascii.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

// Longest user id the spec allows.
constexpr size_t kMaxUserIdBytes = 255;

}  // namespace

absl::StatusOr<std::string> LocalpartOf(std::string_view user_id, std::string_view server_name) {
  const size_t colon = user_id.find(':');
  if (user_id.size() > kMaxUserIdBytes || !user_id.starts_with('@') ||
      colon == std::string_view::npos || colon == 1) {
    return MatrixError(kInvalidParam, "not a Matrix user id (@localpart:server)");
  }
  if (user_id.substr(colon + 1) != server_name) {
    return MatrixError(kNotFound, "not a user of this server");
  }
  return std::string(user_id.substr(1, colon - 1));
}

absl::StatusOr<std::string> LoginUsername(std::string_view user, std::string_view server_name) {
  if (user.empty() || user.size() > kMaxUserIdBytes) {
    return MatrixError(kInvalidParam, "user must be a user id or a localpart");
  }
  std::string localpart;
  if (user.starts_with('@')) {
    absl::StatusOr<std::string> parsed = LocalpartOf(user, server_name);
    if (!parsed.ok()) {
      if (parsed.status().code() == absl::StatusCode::kNotFound) {
        return MatrixError(kForbidden, "this server does not host that user");
      }
      return parsed.status();
    }
    localpart = std::move(*parsed);
  } else {
    localpart = std::string(user);
  }
  return absl::AsciiStrToLower(localpart);
}

}  // namespace messenger::gateway::matrix
