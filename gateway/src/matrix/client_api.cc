#include "gateway/src/matrix/client_api.h"

#include "common/status.h"
#include "gateway/src/matrix/client_routes.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/user_ids.h"

namespace messenger::gateway::matrix {
namespace {

constexpr std::string_view kClientPrefix = "/_matrix/client/";
// Usernames the gateway remembers (account id -> username; never changes).
constexpr size_t kUsernameCacheEntries = 100'000;

}  // namespace

ClientApi::ClientApi(Gateway& gateway, ClientConfig config)
    : gw_(gateway), config_(std::move(config)),
      usernames_("matrix_usernames", kUsernameCacheEntries) {}

void ClientApi::Route(std::string_view method, std::string_view path, Access access,
                      Versions versions, ClientHandler handler) {
  RouteExact(method, std::string(kClientPrefix) + "v3" + std::string(path), access, handler);
  if (versions == Versions::kV3AndR0) {
    RouteExact(method, std::string(kClientPrefix) + "r0" + std::string(path), access, handler);
  }
}

void ClientApi::RouteExact(std::string_view method, std::string_view path, Access access,
                           ClientHandler handler) {
  // Public at the gateway: Matrix tokens may come in the query as well, and
  // their refusals are Matrix errors (M_MISSING_TOKEN, soft_logout).
  gw_.Route(std::string(method), std::string(path), false,
            [self = shared_from_this(), access, handler = std::move(handler)](
                RouteContext& c) -> absl::StatusOr<http::Response> {
              ClientRequest request{c.request, c.params, c.query, std::nullopt};
              if (access == Access::kUser) {
                ASSIGN_OR_RETURN(request.user, self->Authenticate(c.request, c.query));
              }
              return handler(request);
            });
}

void ClientApi::RouteAsync(std::string_view method, std::string_view path, Versions versions,
                           AsyncClientHandler handler) {
  auto add = [&](const std::string& full) {
    gw_.RouteAsync(std::string(method), full, false,
                   [self = shared_from_this(), handler](RouteContext& c, AsyncDone done) {
                     ClientRequest request{c.request, c.params, c.query, std::nullopt};
                     absl::StatusOr<ClientUser> user = self->Authenticate(c.request, c.query);
                     if (!user.ok()) return done(user.status());
                     request.user = std::move(*user);
                     handler(request, std::move(done));
                   });
  };
  add(std::string(kClientPrefix) + "v3" + std::string(path));
  if (versions == Versions::kV3AndR0) add(std::string(kClientPrefix) + "r0" + std::string(path));
}

absl::StatusOr<ClientUser> ClientApi::Authenticate(const http::Request& request,
                                                   const QueryParams& query) {
  std::string_view header = request.Header("authorization");
  std::optional<std::string_view> param = query.Get("access_token");
  if (header.empty() && (!param.has_value() || param->empty())) {
    return MatrixError(kMissingToken, "missing access token");
  }
  absl::StatusOr<Principal> principal = header.empty()
                                            ? gw_.bearer_auth().AuthenticateToken(*param)
                                            : gw_.bearer_auth().Authenticate(header);
  if (!principal.ok()) {
    if (principal.status().code() != absl::StatusCode::kUnauthenticated) {
      return principal.status();
    }
    if (principal.status().message() == kExpiredTokenMessage) {
      return SoftLogoutError("access token expired; refresh it");
    }
    return MatrixError(kUnknownToken, "unknown or revoked access token");
  }
  ASSIGN_OR_RETURN(std::string username, UsernameOf(principal->user_id));
  return ClientUser{std::move(*principal), UserIdOf(username)};
}

std::string ClientApi::UserIdOf(std::string_view username) const {
  return "@" + std::string(username) + ":" + config_.server_name;
}

absl::StatusOr<std::string> ClientApi::UsernameOf(const std::string& account_id) {
  if (std::optional<std::string> cached = usernames_.Get(account_id)) return *cached;
  auth::v1::GetUserRequest request;
  request.set_user_id(account_id);
  auth::v1::User user;
  RETURN_IF_ERROR(gw_.Call(*gw_.stubs().auth, &auth::v1::AuthService::Stub::GetUser, request, &user));
  usernames_.Put(account_id, user.username());
  return user.username();
}

absl::StatusOr<auth::v1::User> ClientApi::AccountOf(std::string_view user_id) {
  ASSIGN_OR_RETURN(std::string localpart, LocalpartOf(user_id, config_.server_name));
  auth::v1::GetUserRequest request;
  request.set_username(localpart);
  auth::v1::User user;
  absl::Status status =
      gw_.Call(*gw_.stubs().auth, &auth::v1::AuthService::Stub::GetUser, request, &user);
  if (status.code() == absl::StatusCode::kNotFound) {
    return MatrixError(kNotFound, "no such user");
  }
  RETURN_IF_ERROR(status);
  return user;
}

void RegisterMatrixClientRoutes(Gateway& gateway) {
  // Owned by the routes that use it (each handler holds it).
  auto api = std::make_shared<ClientApi>(gateway, gateway.config().matrix_client);
  AddDiscoveryRoutes(*api);
  AddSessionRoutes(*api);
  AddRegisterRoutes(*api);
  AddDeviceRoutes(*api);
  AddProfileRoutes(*api);
  AddRoomRoutes(*api);
  AddRoomWriteRoutes(*api);
  AddSyncRoutes(*api);
  AddKeysRoutes(*api);
  AddAccountRoutes(*api);
  AddDirectoryRoutes(*api);
  AddRelationsRoutes(*api);
  AddDeactivateRoutes(*api);
}

}  // namespace messenger::gateway::matrix
