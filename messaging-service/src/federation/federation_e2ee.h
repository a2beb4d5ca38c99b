// The end-to-end encryption routes of the server-server API (fede2ee):
// POST /v1/user/keys/query, POST /v1/user/keys/claim and
// GET /v1/user/devices/{userId}. Each authenticates the X-Matrix request,
// then answers from the local keys (E2eeManager). Errors: UNAUTHENTICATED,
// PERMISSION_DENIED (origin not allowed), INVALID_ARGUMENT (bad body, a
// user of another server), OUT_OF_RANGE (too many devices named).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/request_authenticator.h"
#include "messaging-service/src/service/e2ee_manager.h"

namespace messenger::federation {

class FederationE2ee {
 public:
  FederationE2ee(RequestAuthenticator& auth, messaging::E2eeManager& e2ee)
      : auth_(auth), e2ee_(e2ee) {}

  absl::StatusOr<std::string> QueryKeys(const InboundRequest& request);
  absl::StatusOr<std::string> ClaimKeys(const InboundRequest& request);
  absl::StatusOr<std::string> UserDevices(const InboundRequest& request,
                                          const std::string& user_id);

 private:
  RequestAuthenticator& auth_;
  messaging::E2eeManager& e2ee_;
};

// A local client's keys/query and keys/claim asking another server: signed
// POST /v1/user/keys/<route> (E2eeManager::SetRemoteKeys).
messaging::RemoteKeysFetch RemoteKeysFrom(FederationClient& client);

}  // namespace messenger::federation
