// What every Matrix client route stands on: registration under
// /_matrix/client/v3 (and r0 where clients still use it), access tokens from
// the Authorization header or the deprecated access_token query parameter,
// Matrix user ids for accounts, and Matrix errors for every refusal (the
// gateway maps statuses of /_matrix/ paths with MatrixErrorResponse).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/lru_cache.h"
#include "gateway/src/gateway.h"
#include "gateway/src/matrix/client_config.h"
#include "gateway/src/matrix/matrix_json.h"

namespace messenger::gateway::matrix {

struct ClientUser {
  Principal session;   // account uuid, session id, device id
  std::string user_id;  // "@localpart:server_name"
};

struct ClientRequest {
  const http::Request& http;
  PathParams& params;
  const QueryParams& query;
  std::optional<ClientUser> user;  // set on routes with Access::kUser
  const ClientUser& me() const { return *user; }
};

using ClientHandler = std::function<absl::StatusOr<http::Response>(ClientRequest&)>;
// Answers through `done`, maybe later (long polls); the request is valid only
// during the call.
using AsyncClientHandler = std::function<void(ClientRequest&, AsyncDone done)>;

enum class Access { kPublic, kUser };
enum class Versions { kV3, kV3AndR0 };

// Made with std::make_shared: its routes hold it.
class ClientApi : public std::enable_shared_from_this<ClientApi> {
 public:
  ClientApi(Gateway& gateway, ClientConfig config);

  // Serves `method` at /_matrix/client/v3<path> (and /r0<path>).
  void Route(std::string_view method, std::string_view path, Access access, Versions versions,
             ClientHandler handler);
  // Route for a handler that answers later (an authenticated user's).
  void RouteAsync(std::string_view method, std::string_view path, Versions versions,
                  AsyncClientHandler handler);
  // Serves `method` at exactly `path` (discovery).
  void RouteExact(std::string_view method, std::string_view path, Access access,
                  ClientHandler handler);

  Gateway& gateway() { return gw_; }
  const ClientConfig& config() const { return config_; }

  // "@username:server_name".
  std::string UserIdOf(std::string_view username) const;
  // The username of an account uuid (immutable, so cached).
  absl::StatusOr<std::string> UsernameOf(const std::string& account_id);
  // The account of a Matrix user id of this server: M_NOT_FOUND for another
  // server's or an unknown user, M_INVALID_PARAM for a malformed id.
  absl::StatusOr<auth::v1::User> AccountOf(std::string_view user_id);

 private:
  absl::StatusOr<ClientUser> Authenticate(const http::Request& request, const QueryParams& query);

  Gateway& gw_;
  ClientConfig config_;
  LruCache<std::string, std::string> usernames_;
};

// The m.login.password stage (password_stage.cc): nullopt once `body`'s auth
// proves the caller's password, else the 401 to answer (flows, or a failed
// attempt). With `new_password` the password is changed in the same call.
absl::StatusOr<std::optional<http::Response>> PasswordStage(
    ClientApi& api, const ClientUser& me, const MatrixBody& body,
    const std::optional<std::string>& new_password);

// The same with the password checked by `check` (PERMISSION_DENIED: wrong),
// for a use case that checks it itself (deactivation).
using PasswordCheck = std::function<absl::Status(const std::string& password)>;
absl::StatusOr<std::optional<http::Response>> PasswordStage(ClientApi& api,
                                                            const ClientUser& me,
                                                            const MatrixBody& body,
                                                            const PasswordCheck& check);

// Route groups (one file each).
void AddDiscoveryRoutes(ClientApi& api);
void AddSessionRoutes(ClientApi& api);
void AddRegisterRoutes(ClientApi& api);
void AddDeviceRoutes(ClientApi& api);
void AddProfileRoutes(ClientApi& api);
void AddRoomRoutes(ClientApi& api);
void AddRoomWriteRoutes(ClientApi& api);
void AddSyncRoutes(ClientApi& api);  // sync_routes.cc, sync_history_routes.cc
void AddKeysRoutes(ClientApi& api);
void AddAccountRoutes(ClientApi& api);    // account_routes.cc
void AddDirectoryRoutes(ClientApi& api);  // directory_routes.cc
void AddRelationsRoutes(ClientApi& api);  // relations_routes.cc
void AddDeactivateRoutes(ClientApi& api);  // deactivate_routes.cc
// remote_join_routes.cc: `local` (the local join's answer) when the room is
// known here, else the join of the room through other servers (fedjoin):
// the ?server_name= values, `alias_servers` (a joined alias's directory
// answer), then the room id's domain.
absl::StatusOr<http::Response> JoinUnknownRoom(ClientApi& api, ClientRequest& c,
                                               const std::string& room_id,
                                               absl::StatusOr<http::Response> local,
                                               const std::vector<std::string>& alias_servers = {});
// A leave of a room this server knows only through an invite (`local`
// NOT_FOUND): declined through the inviting server (remote_join_routes.cc).
absl::StatusOr<http::Response> DeclineUnknownRoom(ClientApi& api, ClientRequest& c,
                                                  const std::string& room_id,
                                                  absl::StatusOr<http::Response> local);
// POST /rooms/{roomId}/invite of a user of another server (fedinvite):
// forwarded to messaging's InviteRemoteUser; nullopt for a local user.
absl::StatusOr<std::optional<http::Response>> InviteRemoteUser(ClientApi& api, ClientRequest& c,
                                                               const std::string& room_id);

}  // namespace messenger::gateway::matrix
