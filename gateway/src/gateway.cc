#include "gateway/src/gateway.h"

#include <algorithm>
#include <thread>

#include "common/app/admin.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/time_util.h"
#include "common/trace.h"
#include "gateway/src/matrix/client_routes.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/routes/openapi_route.h"

namespace messenger::gateway {

GatewayConfig GatewayConfig::FromEnv(EnvReader& env, const CommonConfig& common) {
  GatewayConfig c;
  c.http_address = env.String("MESSENGER_HTTP_ADDR", "127.0.0.1:8080");
  c.io_threads = static_cast<int>(env.Int("MESSENGER_HTTP_IO_THREADS", 2, 1, 64));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.workers = static_cast<int>(env.Int("MESSENGER_GATEWAY_WORKERS", std::max(8, 4 * cores), 1, 1024));
  c.rpc_timeout = common.rpc_timeout;
  c.auth_cache_ttl = env.Duration("MESSENGER_AUTH_CACHE_TTL_MS", absl::Seconds(10),
                                  absl::Milliseconds(1), 0, 300'000);
  c.send_rate_per_second = static_cast<double>(env.Int("MESSENGER_SEND_RATE_PER_S", 20, 1, 1'000'000));
  c.send_burst = static_cast<double>(env.Int("MESSENGER_SEND_BURST", 40, 1, 1'000'000));
  c.auth_limits = AuthLimitConfig::FromEnv(env);
  c.web_app_url = env.String("MESSENGER_WEB_APP_URL", "");
  c.max_connections =
      static_cast<size_t>(env.Int("MESSENGER_HTTP_MAX_CONNECTIONS", 20'000, 1, 1'000'000));
  c.header_timeout = env.Duration("MESSENGER_HTTP_HEADER_TIMEOUT_MS", absl::Seconds(10),
                                  absl::Milliseconds(1), 1, 600'000);
  c.body_timeout = env.Duration("MESSENGER_HTTP_BODY_TIMEOUT_MS", absl::Seconds(30),
                                absl::Milliseconds(1), 1, 600'000);
  c.web_dir = env.String("MESSENGER_WEB_DIR", "");
  if (!c.web_dir.empty()) {
    if (absl::Status s = StaticFiles::Open(c.web_dir).status(); !s.ok()) {
      env.Invalid("MESSENGER_WEB_DIR", std::string(s.message()));
      c.web_dir.clear();
    }
  }
  c.cors_origins = env.String("MESSENGER_CORS_ORIGINS", "");
  if (absl::Status s = CorsPolicy::Parse(c.cors_origins).status(); !s.ok()) {
    env.Invalid("MESSENGER_CORS_ORIGINS", std::string(s.message()));
    c.cors_origins.clear();
  }
  c.sync_polls_per_user =
      static_cast<size_t>(env.Int("MESSENGER_SYNC_POLLS_PER_USER", 8, 1, 1'000));
  c.ws_per_user = static_cast<size_t>(env.Int("MESSENGER_WS_PER_USER", 8, 1, 1'000));
  c.ws_max_queue_bytes = static_cast<size_t>(
      env.Int("MESSENGER_WS_MAX_QUEUE_BYTES", 1 << 20, 4096, int64_t{1} << 30));
  c.ws_idle_timeout = env.Duration("MESSENGER_WS_IDLE_TIMEOUT_MS", absl::Seconds(40),
                                   absl::Milliseconds(1), 1'000, 3'600'000);
  c.ws_send_buffer_bytes =
      static_cast<int>(env.Int("MESSENGER_WS_SEND_BUFFER_BYTES", 0, 0, 64 << 20));
  c.matrix_client = matrix::ClientConfig::FromEnv(env, common);
  c.federation_public_address = env.String("MESSENGER_FEDERATION_PUBLIC_ADDRESS", "");
  return c;
}

http::Server::Options GatewayConfig::HttpOptions(std::string host, int port) const {
  http::Server::Options o;
  o.host = std::move(host);
  o.port = port;
  o.io_threads = io_threads;
  o.max_connections = max_connections;
  o.header_timeout = header_timeout;
  o.body_timeout = body_timeout;
  o.websocket_idle_timeout = ws_idle_timeout;
  o.websocket_max_queue_bytes = ws_max_queue_bytes;
  o.websocket_send_buffer_bytes = ws_send_buffer_bytes;
  o.refusal = [](std::string_view path, int status, std::string_view message) {
    if (matrix::IsMatrixPath(path) && status == 413) {
      return matrix::MatrixErrorResponse(matrix::MatrixError(matrix::kTooLarge, message));
    }
    return http::Response::Error(status, absl::StatusCode::kInvalidArgument, message);
  };
  return o;
}

std::string Rfc3339(const google::protobuf::Timestamp& ts) {
  return FormatRfc3339Millis(FromProto(ts));
}

Gateway::Gateway(GatewayConfig config, const ServiceChannels& channels,
                 std::function<absl::Status()> ready)
    : config_(std::move(config)),
      ready_(std::move(ready)),
      send_limiter_(config_.send_rate_per_second, config_.send_burst, SystemClock::Instance(),
                    "send_limiter"),
      auth_limits_(config_.auth_limits, SystemClock::Instance()),
      sync_hub_(WaitHub::Options{.max_waiters_per_user = config_.sync_polls_per_user}),
      realtime_(config_.ws_per_user),
      ws_tickets_(absl::Seconds(30), 100'000, SystemClock::Instance(), SecureRng::Instance()),
      workers_("gateway", config_.workers) {
  absl::StatusOr<CorsPolicy> cors = CorsPolicy::Parse(config_.cors_origins);
  if (!cors.ok()) {
    // FromEnv checked it; a config built in code with a typo fails here.
    log::Error("bad CORS origins", {{"error", std::string(cors.status().message())}});
    std::abort();
  }
  cors_ = std::move(*cors);
  if (!config_.web_dir.empty()) {
    absl::StatusOr<StaticFiles> files = StaticFiles::Open(config_.web_dir);
    if (files.ok()) {
      static_files_ = std::move(*files);
    } else {
      log::Warn("web app not served", {{"error", std::string(files.status().message())}});
    }
  }
  stubs_.auth = auth::v1::AuthService::NewStub(channels.auth);
  stubs_.session = session::v1::SessionService::NewStub(channels.session);
  stubs_.profile = profile::v1::ProfileService::NewStub(channels.profile);
  stubs_.contact = contact::v1::ContactService::NewStub(channels.contact);
  stubs_.messaging = messaging::v1::MessagingService::NewStub(channels.messaging);
  stubs_.federation = federation::v1::FederationService::NewStub(channels.messaging);
  stubs_.federation_rooms = federation::v1::FederationRoomService::NewStub(channels.messaging);
  stubs_.e2ee = e2ee::v1::E2eeService::NewStub(channels.messaging);
  stubs_.account = messaging::v1::MatrixAccountService::NewStub(channels.messaging);
  validator_ = std::make_unique<GrpcSessionValidator>(*stubs_.session, config_.rpc_timeout);
  bearer_auth_ = std::make_unique<BearerAuth>(*validator_, config_.auth_cache_ttl,
                                              SystemClock::Instance());
  // Sockets hear of news the way long polls do, and of revoked sessions the
  // way the token cache does.
  sync_hub_.AddListener([this](const std::vector<std::string>& users) { realtime_.Wake(users); });
  bearer_auth_->OnInvalidated(
      [this](const std::string& session_id) { realtime_.CloseSession(session_id); });
  websockets_gauge_ = metrics::Registry::Default().AddGauge(
      "gateway_websockets", "Authenticated /v1/ws sockets", {},
      [this] { return static_cast<double>(realtime_.size()); });
  sync_waiting_gauge_ = metrics::Registry::Default().AddGauge(
      "gateway_sync_polls_waiting", "Long polls parked in the gateway", {},
      [this] { return static_cast<double>(sync_hub_.waiting()); });

  if (config_.admin_routes) AddAdminRoutes();
  AddAuthRoutes(*this);
  AddVerifyEmailPage(*this);
  AddSessionRoutes(*this);
  AddMeRoutes(*this);
  AddProfileRoutes(*this);
  AddContactRoutes(*this);
  AddMessagingRoutes(*this);
  AddRelationRoutes(*this);
  AddGroupRoutes(*this);
  AddRealtimeRoutes(*this);
  AddTypingRoutes(*this);
  AddDeactivateRoutes(*this);
  AddOpenApiRoute(*this);
  matrix::RegisterMatrixClientRoutes(*this);
  AddKeyRoutes(*this);
  AddFederationRoutes(*this);
  AddFederationRoomRoutes(*this);
}

void Gateway::AddAdminRoutes() {
  Route("GET", "/healthz", false, [](RouteContext&) -> absl::StatusOr<http::Response> {
    return http::Response::Json(200, {{"status", "ok"}});
  });
  Route("GET", "/readyz", false, [this](RouteContext&) -> absl::StatusOr<http::Response> {
    RETURN_IF_ERROR(ready_());
    return http::Response::Json(200, {{"status", "ready"}});
  });
  Route("GET", "/metrics", false, [](RouteContext&) -> absl::StatusOr<http::Response> {
    http::Response r;
    r.body = metrics::Registry::Default().Render();
    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
    return r;
  });
}

Gateway::~Gateway() { Stop(); }

void Gateway::Stop() { workers_.Stop(); }

void Gateway::OnBusReconnected() {
  bearer_auth_->DropAll();
  realtime_.CloseAll(kWsCloseReauthenticate, "authenticate again");
}

bool Gateway::Submit(std::function<void()> task) { return workers_.Submit(std::move(task)); }

void Gateway::Route(const std::string& method, const std::string& pattern, bool authenticated,
                    RouteHandler handler) {
  AddEntry(method, pattern, Entry{authenticated, std::move(handler), nullptr, {}});
}

void Gateway::RouteAsync(const std::string& method, const std::string& pattern,
                         bool authenticated, AsyncRouteHandler handler) {
  AddEntry(method, pattern, Entry{authenticated, nullptr, std::move(handler), {}});
}

void Gateway::AddEntry(const std::string& method, const std::string& pattern, Entry entry) {
  absl::StatusOr<RoutePattern> parsed = ParseRoutePattern(pattern);
  if (!parsed.ok()) {
    // A typo in the route table: fail at startup, not on the first request.
    log::Error("bad route pattern", {{"pattern", pattern}});
    std::abort();
  }
  entry.shapes = std::move(parsed->shapes);
  router_.Add(method, parsed->pattern, std::move(entry));
}

http::Handler Gateway::Handler() {
  return [this](http::Request&& request, http::Responder respond) {
    Dispatch(std::move(request), std::move(respond));
  };
}

void Gateway::Serve(const Entry& entry, const http::Request& request, PathParams params,
                    const std::string& pattern,
                    const std::function<void(http::Response)>& finish) {
  auto to_response = [pattern, matrix = matrix::IsMatrixPath(request.path)](
                         absl::StatusOr<http::Response> response) {
    if (response.ok()) return std::move(*response);
    if (HttpStatusFor(response.status().code()) >= 500) {
      log::Warn("request failed", {{"route", pattern},
                                   {"code", std::string(StatusCodeName(response.status().code()))},
                                   {"error", std::string(response.status().message())}});
    }
    if (matrix) return matrix::MatrixErrorResponse(response.status());
    http::Response r = http::Response::Error(response.status());
    if (r.status == 401) r.SetHeader("WWW-Authenticate", "Bearer");
    return r;
  };
  RouteContext context{request, {}, {}, std::nullopt};
  if (entry.authenticated) {
    absl::StatusOr<Principal> principal =
        bearer_auth_->Authenticate(request.Header("authorization"));
    if (!principal.ok()) return finish(to_response(principal.status()));
    context.principal = std::move(*principal);
  }
  // Path parameters arrive percent-encoded ("%21room%3Aserver").
  for (const auto& [name, raw] : params) {
    const auto shape = entry.shapes.find(name);
    absl::StatusOr<std::string> value =
        PathParam(name, shape == entry.shapes.end() ? ParamShape::kText : shape->second, raw);
    if (!value.ok()) return finish(to_response(value.status()));
    context.params[name] = std::move(*value);
  }
  absl::StatusOr<QueryParams> query = QueryParams::Parse(request.query);
  if (!query.ok()) return finish(to_response(query.status()));
  context.query = std::move(*query);
  if (entry.async_handler) {
    entry.async_handler(context, [finish, to_response](absl::StatusOr<http::Response> response) {
      finish(to_response(std::move(response)));
    });
    return;
  }
  finish(to_response(entry.handler(context)));
}

void Gateway::Dispatch(http::Request&& request, http::Responder respond) {
  const absl::Time start = absl::Now();
  std::string trace_id =
      trace::ParseTraceparent(request.Header("traceparent")).value_or(trace::NewTraceId());
  const bool is_static = static_files_.has_value() &&
                         (request.path == "/app" || request.path.starts_with(StaticFiles::kPrefix));
  auto match = router_.Find(request.method, request.path);
  if (is_static) match.pattern = StaticFiles::kPrefix;
  const bool cors = CorsPolicy::Applies(request.path);
  std::string origin = cors ? std::string(request.Header("origin")) : std::string();
  auto finish = [this, start, trace_id, origin = std::move(origin), method = request.method, path = request.path,
                 remote = request.remote_address, pattern = match.pattern,
                 respond = std::move(respond)](http::Response response) {
    response.SetHeader("X-Trace-Id", trace_id);
    if (matrix::IsMatrixPath(path)) {
      matrix::AddMatrixCorsHeaders(response);
    } else {
      cors_.Decorate(origin, response);
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const std::string route = pattern.empty() ? "unmatched" : pattern;
    auto& registry = metrics::Registry::Default();
    const std::string method_label(http::MethodLabel(method));
    registry
        .GetCounter("http_requests_total", "HTTP requests by route, method and status",
                    {{"route", route},
                     {"method", method_label},
                     {"status", std::to_string(response.status)}})
        .Inc();
    registry
        .GetHistogram("http_request_duration_seconds", "HTTP request latency by route and method",
                      {{"route", route}, {"method", method_label}})
        .Observe(seconds);
    trace::ScopedTrace scoped(trace_id);
    log::Info("http", {{"method", method},
                       {"path", path},
                       {"route", route},
                       {"status", response.status},
                       {"duration_ms", seconds * 1000},
                       {"remote", remote}});
    respond(std::move(response));
  };
  if (is_static) {
    auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
    const bool queued = workers_.Submit(
        [this, shared_finish, method = request.method, path = request.path] {
          (*shared_finish)(static_files_->Serve(method, path));
        });
    if (!queued) {
      (*shared_finish)(http::Response::Error(503, absl::StatusCode::kUnavailable, "server busy"));
    }
    return;
  }
  if (request.method == "OPTIONS" && matrix::IsMatrixPath(request.path)) {
    return finish(matrix::MatrixPreflight());
  }
  if (cors && CorsPolicy::IsPreflight(request) && match.path_known) {
    std::vector<std::string> methods = match.allowed;
    methods.push_back("OPTIONS");
    return finish(cors_.Preflight(request, methods));
  }
  if (match.handler == nullptr) {
    if (matrix::IsMatrixPath(request.path)) {
      return finish(matrix::UnrecognizedResponse(match.path_known, match.allowed));
    }
    if (match.path_known) {
      http::Response r = http::Response::Error(405, absl::StatusCode::kUnimplemented,
                                               "method not allowed on this path");
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      r.SetHeader("Allow", allow);
      return finish(std::move(r));
    }
    return finish(http::Response::Error(404, absl::StatusCode::kNotFound, "no such route"));
  }
  // shared_ptr: std::function needs copyable captures.
  auto shared_request = std::make_shared<http::Request>(std::move(request));
  auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
  const Entry* entry = match.handler;
  const bool queued = workers_.Submit([this, entry, shared_request, shared_finish, trace_id,
                                       params = std::move(match.params),
                                       pattern = match.pattern]() mutable {
    trace::ScopedTrace scoped(trace_id);
    // The request must outlive an asynchronous answer: the finish callback owns it.
    Serve(*entry, *shared_request, std::move(params), pattern,
          [shared_finish, shared_request](http::Response response) {
            (*shared_finish)(std::move(response));
          });
  });
  if (!queued) {
    (*shared_finish)(http::Response::Error(503, absl::StatusCode::kUnavailable, "server busy"));
  }
}

}  // namespace messenger::gateway
