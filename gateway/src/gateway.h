// The HTTP gateway: routes /v1 requests to the services over gRPC. It checks
// bearer tokens, maps JSON <-> protobuf and errors to HTTP, and logs one line
// per request. No business logic, no SQL.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/grpc/grpc_util.h"
#include "common/grpc/work_pool.h"
#include "common/http/http_server.h"
#include "common/metrics.h"
#include "common/wait_hub.h"
#include "gateway/src/auth/bearer_auth.h"
#include "gateway/src/auth_limits.h"
#include "gateway/src/cors.h"
#include "gateway/src/matrix/client_config.h"
#include "gateway/src/params.h"
#include "gateway/src/rate_limiter.h"
#include "gateway/src/realtime/realtime_hub.h"
#include "gateway/src/realtime/ws_tickets.h"
#include "gateway/src/static_files.h"
#include "gateway/src/router.h"
#include "messenger/auth/v1/auth.grpc.pb.h"
#include "messenger/contact/v1/contact.grpc.pb.h"
#include "messenger/e2ee/v1/e2ee.grpc.pb.h"
#include "messenger/federation/v1/federation.grpc.pb.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"
#include "messenger/profile/v1/profile.grpc.pb.h"
#include "messenger/session/v1/session.grpc.pb.h"

namespace messenger::gateway {

struct GatewayConfig {
  std::string http_address = "127.0.0.1:8080";
  int io_threads = 2;
  int workers = 32;
  absl::Duration rpc_timeout = absl::Seconds(5);
  absl::Duration auth_cache_ttl = absl::Seconds(10);
  double send_rate_per_second = 20;  // per user
  double send_burst = 40;
  AuthLimitConfig auth_limits;
  std::string web_app_url;  // MESSENGER_WEB_APP_URL: where /verify-email redirects ("" = own page)
  // /healthz, /readyz and /metrics on the public port (the all-in-one); the
  // split-mode gateway serves them on its admin port instead.
  bool admin_routes = true;
  // Connection limits of the public port (see http::Server::Options).
  size_t max_connections = 20'000;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(30);
  // MESSENGER_WEB_DIR: the reference web client, served at /app/ ("" = not).
  std::string web_dir;
  // MESSENGER_CORS_ORIGINS: browser origins allowed to call /v1 (see cors.h).
  std::string cors_origins;
  // Long polls one user may hold; a newer one answers the oldest at once.
  size_t sync_polls_per_user = 8;
  // /v1/ws: sockets one user may hold (a new one closes the oldest), bytes
  // queued for a socket before it counts as a slow reader, idle time before
  // it is pinged (half) and closed (all), and its kernel send buffer.
  size_t ws_per_user = 8;
  size_t ws_max_queue_bytes = 1 << 20;
  absl::Duration ws_idle_timeout = absl::Seconds(40);
  int ws_send_buffer_bytes = 0;
  // The Matrix client-server API (gateway/src/matrix/).
  matrix::ClientConfig matrix_client;
  // MESSENGER_FEDERATION_PUBLIC_ADDRESS: "host:port" served as m.server of
  // /.well-known/matrix/server ("" = 404, no delegation).
  std::string federation_public_address;
  static GatewayConfig FromEnv(EnvReader& env, const CommonConfig& common);
  // The public HTTP server's options for this configuration.
  http::Server::Options HttpOptions(std::string host, int port) const;
};

struct ServiceChannels {
  std::shared_ptr<grpc::Channel> auth;
  std::shared_ptr<grpc::Channel> session;
  std::shared_ptr<grpc::Channel> profile;
  std::shared_ptr<grpc::Channel> contact;
  std::shared_ptr<grpc::Channel> messaging;
};

struct Stubs {
  std::unique_ptr<auth::v1::AuthService::Stub> auth;
  std::unique_ptr<session::v1::SessionService::Stub> session;
  std::unique_ptr<profile::v1::ProfileService::Stub> profile;
  std::unique_ptr<contact::v1::ContactService::Stub> contact;
  std::unique_ptr<messaging::v1::MessagingService::Stub> messaging;
  std::unique_ptr<federation::v1::FederationService::Stub> federation;  // on the messaging channel
  std::unique_ptr<federation::v1::FederationRoomService::Stub> federation_rooms;  // same channel
  std::unique_ptr<e2ee::v1::E2eeService::Stub> e2ee;  // on the messaging channel
  std::unique_ptr<messaging::v1::MatrixAccountService::Stub> account;   // on the messaging channel
};

// What a route handler sees. Path parameters are decoded and of the shape
// their pattern declares; query parameters are valid UTF-8.
struct RouteContext {
  const http::Request& request;
  PathParams params;
  QueryParams query;
  std::optional<Principal> principal;  // set on authenticated routes
  const std::string& user_id() const { return principal->user_id; }
};

using RouteHandler = std::function<absl::StatusOr<http::Response>(RouteContext&)>;
// Answers through `done`, from any thread, without holding the worker that
// called it (long polls).
using AsyncDone = std::function<void(absl::StatusOr<http::Response>)>;
using AsyncRouteHandler = std::function<void(RouteContext&, AsyncDone done)>;

class Gateway {
 public:
  Gateway(GatewayConfig config, const ServiceChannels& channels,
          std::function<absl::Status()> ready);
  ~Gateway();

  // The handler for http::Server.
  http::Handler Handler();
  BearerAuth& bearer_auth() { return *bearer_auth_; }
  Stubs& stubs() { return stubs_; }
  const GatewayConfig& config() const { return config_; }

  // Registers a route served on the worker pool. Path parameters declare
  // their shape in the pattern ("{user_id:uuid}", see params.h).
  void Route(const std::string& method, const std::string& pattern, bool authenticated,
             RouteHandler handler);
  // Registers a route that answers later (see AsyncRouteHandler).
  void RouteAsync(const std::string& method, const std::string& pattern, bool authenticated,
                  AsyncRouteHandler handler);
  RateLimiter& send_limiter() { return send_limiter_; }
  AuthLimits& auth_limits() { return auth_limits_; }
  // Long polls waiting here, woken by messaging's notifications.
  WaitHub& sync_hub() { return sync_hub_; }
  // Open /v1/ws sockets, woken through sync_hub.
  RealtimeHub& realtime() { return realtime_; }
  WsTickets& ws_tickets() { return ws_tickets_; }
  const CorsPolicy& cors() const { return cors_; }
  // The NATS connection came back: revocations and wake-ups broadcast while
  // it was down are lost, so forget every cached token and make every socket
  // authenticate again (long polls time out and ask again by themselves).
  void OnBusReconnected();
  // Runs `task` on the worker pool; false when its queue is full.
  bool Submit(std::function<void()> task);

  // Calls a unary method with the configured deadline.
  template <typename Stub, typename Request, typename Response>
  absl::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) const {
    auto context = grpcx::NewClientContext(config_.rpc_timeout);
    return FromGrpcStatus((stub.*method)(context.get(), request, response));
  }

  // Starts an asynchronous unary call: (context, request, response, on_done).
  template <typename Request, typename Response>
  using AsyncStart = std::function<void(grpc::ClientContext*, const Request*, Response*,
                                        std::function<void(grpc::Status)>)>;
  // Calls a unary method asynchronously with the configured deadline; `done`
  // gets the status and the response on a gRPC thread (no worker waits).
  template <typename Request, typename Response>
  void CallAsync(const AsyncStart<Request, Response>& start, Request request,
                 std::function<void(absl::Status, const Response&)> done) const {
    struct Pending {
      std::unique_ptr<grpc::ClientContext> context;
      Request request;
      Response response;
    };
    auto call = std::make_shared<Pending>();
    call->context = grpcx::NewClientContext(config_.rpc_timeout);
    call->request = std::move(request);
    start(call->context.get(), &call->request, &call->response,
          [call, done = std::move(done)](grpc::Status status) {
            done(FromGrpcStatus(status), call->response);
          });
  }

  // Finishes queued requests and stops the worker pool.
  void Stop();

 private:
  struct Entry {
    bool authenticated;
    RouteHandler handler;
    AsyncRouteHandler async_handler;
    std::map<std::string, ParamShape> shapes;
  };
  void AddEntry(const std::string& method, const std::string& pattern, Entry entry);
  void AddAdminRoutes();
  void Dispatch(http::Request&& request, http::Responder respond);
  // Authenticates and runs the route; `finish` gets the answer (maybe later).
  void Serve(const Entry& entry, const http::Request& request, PathParams params,
             const std::string& pattern, const std::function<void(http::Response)>& finish);

  GatewayConfig config_;
  Stubs stubs_;
  std::unique_ptr<GrpcSessionValidator> validator_;
  std::unique_ptr<BearerAuth> bearer_auth_;
  std::function<absl::Status()> ready_;
  Router<Entry> router_;
  CorsPolicy cors_;
  std::optional<StaticFiles> static_files_;
  RateLimiter send_limiter_;
  AuthLimits auth_limits_;
  WaitHub sync_hub_;
  RealtimeHub realtime_;
  WsTickets ws_tickets_;
  metrics::GaugeHandle sync_waiting_gauge_;
  metrics::GaugeHandle websockets_gauge_;
  grpcx::WorkPool workers_;
};

// Route groups (routes/*.cc).
void AddAuthRoutes(Gateway& gateway);
void AddVerifyEmailPage(Gateway& gateway);
void AddSessionRoutes(Gateway& gateway);
void AddMeRoutes(Gateway& gateway);
void AddProfileRoutes(Gateway& gateway);
void AddContactRoutes(Gateway& gateway);
void AddMessagingRoutes(Gateway& gateway);
void AddRelationRoutes(Gateway& gateway);
void AddGroupRoutes(Gateway& gateway);
void AddRealtimeRoutes(Gateway& gateway);
void AddTypingRoutes(Gateway& gateway);
void AddDeactivateRoutes(Gateway& gateway);  // routes/deactivate_routes.cc
// Matrix federation (matrix/*.cc): /_matrix/key/, /_matrix/federation/, /.well-known/matrix/server.
void AddKeyRoutes(Gateway& gateway);
void AddFederationRoutes(Gateway& gateway);
void AddFederationRoomRoutes(Gateway& gateway);

// The public profile JSON of api.md.
nlohmann::json ProfileJson(const profile::v1::Profile& profile);
// Profiles of `user_ids` by id, in one batch call (unknown ids are absent).
absl::StatusOr<std::map<std::string, profile::v1::Profile>> ProfilesById(
    Gateway& gateway, const std::vector<std::string>& user_ids);

// The /v1/sync answer body ({next, events}) of api.md.
nlohmann::json SyncBodyJson(const messaging::v1::SyncResponse& response);

// "2026-11-22T05:09:00.123Z" for a protobuf Timestamp.
std::string Rfc3339(const google::protobuf::Timestamp& ts);

}  // namespace messenger::gateway
