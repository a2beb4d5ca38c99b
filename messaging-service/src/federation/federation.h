// Federation use cases of the messaging service: our keys, the notary,
// request authentication and profile queries. Owns the key caches, the
// resolver and the HTTP client.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/federation_config.h"
#include "messaging-service/src/federation/federation_store.h"
#include "messaging-service/src/federation/local_keys.h"
#include "messaging-service/src/federation/notary.h"
#include "messaging-service/src/federation/remote_keys.h"
#include "messaging-service/src/federation/request_authenticator.h"

namespace messenger::federation {

struct LocalUser {
  std::string origin;
  std::string user_id;  // uuid
};

class Federation {
 public:
  static absl::StatusOr<std::unique_ptr<Federation>> Create(const FederationConfig& config,
                                                            std::string server_name,
                                                            matrix::Ed25519Key key,
                                                            messaging::MessagingStore& messaging,
                                                            pg::Pool& pool, const Clock& clock);

  absl::StatusOr<std::string> ServerKeys();
  absl::StatusOr<std::string> QueryKeys(const std::string& body);
  absl::StatusOr<std::string> Authenticate(const InboundRequest& request);
  absl::StatusOr<LocalUser> QueryLocalUser(const InboundRequest& request,
                                           const std::string& user_id);
  absl::StatusOr<std::string> QueryRemoteProfile(const std::string& user_id,
                                                 const std::string& field);

  // For the room routes (federation_rooms.h), which live beside the rooms.
  RequestAuthenticator& authenticator() { return *auth_; }
  RemoteKeys& remote_keys() { return *remote_; }
  FederationStore& store() { return *store_; }
  // Signed requests to other servers (the outgoing sender).
  FederationClient& client() { return *client_; }

 private:
  Federation() = default;
  std::string server_name_;
  std::unique_ptr<PgFederationStore> store_;
  std::unique_ptr<LocalKeys> local_;
  std::unique_ptr<HttpFetcher> fetcher_;
  std::unique_ptr<ServerResolver> resolver_;
  std::unique_ptr<FederationClient> client_;
  std::unique_ptr<RemoteKeys> remote_;
  std::unique_ptr<Notary> notary_;
  std::unique_ptr<RequestAuthenticator> auth_;
};

}  // namespace messenger::federation
