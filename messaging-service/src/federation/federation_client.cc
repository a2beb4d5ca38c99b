#include "messaging-service/src/federation/federation_client.h"

#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/request_auth.h"

namespace messenger::federation {

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
