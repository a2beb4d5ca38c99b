#include "messaging-service/src/federation/federation_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/request_auth.h"

namespace messenger::federation {

std::string QueryEscape(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

absl::Status RemoteError(const HttpReply& reply, absl::string_view what) {
  const std::string detail = absl::StrCat(what, ": HTTP ", reply.status);
  if (reply.status == 404) return absl::NotFoundError(detail);
  if (reply.status == 400) return absl::InvalidArgumentError(detail);
  if (reply.status == 401 || reply.status == 403) return absl::PermissionDeniedError(detail);
  return absl::UnavailableError(detail);
}

absl::StatusOr<nlohmann::json> JsonAnswer(const absl::StatusOr<HttpReply>& reply,
                                          const std::string& what) {
  if (!reply.ok()) {
    return absl::UnavailableError(absl::StrCat(what, ": ", reply.status().message()));
  }
  if (reply->status != 200) return RemoteError(*reply, what);
  absl::StatusOr<nlohmann::json> body = matrix::ParseJson(reply->body);
  if (!body.ok() || !body->is_object()) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": not a JSON object"));
  }
  return *body;
}

absl::StatusOr<HttpReply> FederationClient::Request(const std::string& method,
                                                    const std::string& destination,
                                                    const std::string& uri,
                                                    const std::optional<nlohmann::json>& content,
                                                    bool sign) {
  ASSIGN_OR_RETURN(Endpoint endpoint, resolver_.Resolve(destination));
  std::map<std::string, std::string> headers;
  std::string body;
  if (content) {
    ASSIGN_OR_RETURN(body, matrix::CanonicalJson(*content));
  }
  if (sign) {
    ASSIGN_OR_RETURN(headers["Authorization"],
                     matrix::SignRequest({method, uri, origin_, destination, content}, key_));
  }
  return fetcher_.Fetch(endpoint, method, uri, headers, body);
}

}  // namespace messenger::federation
