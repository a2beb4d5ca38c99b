#include "messaging-service/src/federation/federation_e2ee.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace messenger::federation {

absl::StatusOr<std::string> FederationE2ee::QueryKeys(const InboundRequest& request) {
  RETURN_IF_ERROR(auth_.Authenticate(request).status());
  return e2ee_.QueryKeysForServer(request.body);
}

absl::StatusOr<std::string> FederationE2ee::ClaimKeys(const InboundRequest& request) {
  RETURN_IF_ERROR(auth_.Authenticate(request).status());
  return e2ee_.ClaimKeysForServer(request.body);
}

absl::StatusOr<std::string> FederationE2ee::UserDevices(const InboundRequest& request,
                                                        const std::string& user_id) {
  RETURN_IF_ERROR(auth_.Authenticate(request).status());
  return e2ee_.UserDevices(user_id);
}

messaging::RemoteKeysFetch RemoteKeysFrom(FederationClient& client) {
  return [&client](const std::string& server, std::string_view route,
                   const std::string& body) -> absl::StatusOr<std::string> {
    const std::string uri = absl::StrCat("/_matrix/federation/v1/user/keys/", std::string(route));
    ASSIGN_OR_RETURN(nlohmann::json answer,
                     JsonAnswer(client.Request("POST", server, uri, nlohmann::json::parse(body),
                                               /*sign=*/true),
                                absl::StrCat("keys/", std::string(route), " on ", server)));
    return answer.dump();
  };
}

}  // namespace messenger::federation
