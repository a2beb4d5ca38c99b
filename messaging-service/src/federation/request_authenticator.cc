#include "messaging-service/src/federation/request_authenticator.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/request_auth.h"

namespace messenger::federation {

absl::StatusOr<std::string> RequestAuthenticator::Authenticate(const InboundRequest& request) {
  std::optional<nlohmann::json> content;
  if (!request.body.empty()) {
    absl::StatusOr<nlohmann::json> parsed = matrix::ParseJson(request.body);
    if (!parsed.ok()) return absl::InvalidArgumentError("request body is not valid JSON");
    content = std::move(*parsed);
  }
  absl::Status last = absl::UnauthenticatedError("missing X-Matrix authorization");
  for (const std::string& header : request.authorization) {
    absl::StatusOr<matrix::XMatrixAuth> auth = matrix::ParseXMatrix(header);
    if (!auth.ok()) {
      last = absl::UnauthenticatedError(auth.status().message());
      continue;
    }
    if (!whitelist_.empty() && !whitelist_.contains(auth->origin)) {
      return absl::PermissionDeniedError(
          absl::StrCat(auth->origin, " may not federate with this server"));
    }
    absl::StatusOr<std::string> public_key = keys_.VerifyKey(auth->origin, auth->key_id);
    if (!public_key.ok()) {
      last = absl::UnauthenticatedError(
          public_key.status().code() == absl::StatusCode::kUnauthenticated
              ? std::string(public_key.status().message())
              : absl::StrCat("cannot get the keys of ", auth->origin));
      continue;
    }
    last = matrix::VerifyRequest(*auth, request.method, request.uri, server_name_, content,
                                 *public_key);
    if (last.ok()) return auth->origin;
  }
  return last;
}

}  // namespace messenger::federation
