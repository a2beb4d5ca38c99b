#include "common/grpc/grpc_util.h"

#include <stdlib.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc/transport_security.h"
#include "common/log.h"
#include "common/metrics.h"

namespace messenger::grpcx {
namespace {

constexpr char kTraceparent[] = "traceparent";

// The trace id of a "traceparent" in `metadata`, or "".
std::string TraceIdIn(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto it = metadata.find(kTraceparent);
  if (it == metadata.end()) return "";
  return trace::ParseTraceparent(std::string_view(it->second.data(), it->second.size()))
      .value_or("");
}

// Per-method latency histogram and per-code counter, and a log line per call
// (debug; warn for server errors) with the caller's trace id.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(std::string method)
      : method_(std::move(method)), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      trace_id_ = TraceIdIn(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const auto code = static_cast<absl::StatusCode>(status.error_code());
      const bool server_error = code == absl::StatusCode::kInternal ||
                                code == absl::StatusCode::kUnknown ||
                                code == absl::StatusCode::kDataLoss;
      const log::Level level = server_error ? log::Level::kWarn : log::Level::kDebug;
      if (log::Enabled(level)) {
        trace::ScopedTrace scoped(trace_id_);
        log::Write(level, "grpc",
                   {{"method", method_},
                    {"code", std::string(StatusCodeName(code))},
                    {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start_)}});
      }
      auto& registry = metrics::Registry::Default();
      registry
          .GetHistogram("grpc_server_handling_seconds", "gRPC server call latency",
                        {{"method", method_}})
          .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
      registry
          .GetCounter("grpc_server_handled_total", "gRPC calls by method and code",
                      {{"method", method_},
                       {"code", std::string(StatusCodeName(
                                    static_cast<absl::StatusCode>(status.error_code())))}})
          .Inc();
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  absl::Time start_;
  std::string trace_id_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info->method());
  }
};

// Adds the calling thread's trace id as "traceparent".
class TraceInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      const std::string& trace_id = trace::CurrentTraceId();
      if (!trace_id.empty()) {
        methods->GetSendInitialMetadata()->insert(
            {kTraceparent, trace::FormatTraceparent(trace_id)});
      }
    }
    methods->Proceed();
  }
};

class TraceInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TraceInterceptor();
  }
};

std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
ClientInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<TraceInterceptorFactory>());
  return out;
}

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  // A restarted service is used again within a second (the default backoff
  // grows to two minutes).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1'000);  // also the connect timeout
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  return args;
}

}  // namespace

void ConfigureProcess() {
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", /*overwrite=*/0);
  // Debian builds abseil without NDEBUG, which leaves lock-order cycle
  // detection on: every absl::Mutex acquisition (gRPC takes many per call)
  // updated a global graph, a few % of the server's CPU under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

std::string TraceIdFrom(const grpc::ServerContextBase& context) {
  std::string trace_id = TraceIdIn(context.client_metadata());
  return trace_id.empty() ? trace::NewTraceId() : trace_id;
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const ServerOptions& options, const std::vector<grpc::Service*>& services) {
  static const bool initialized = [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    return true;
  }();
  (void)initialized;
  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  grpc::ServerBuilder builder;
  if (!options.listen_address.empty()) {
    builder.AddListeningPort(options.listen_address, ProcessTransportSecurity().ServerCredentials(),
                             &server->port_);
  }
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<MetricsInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  server->server_ = builder.BuildAndStart();
  if (!server->server_) {
    return absl::UnavailableError(
        absl::StrCat("gRPC server could not listen on ", options.listen_address));
  }
  if (!options.listen_address.empty() && server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("gRPC server could not bind ", options.listen_address));
  }
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> GrpcServer::InProcessChannel() {
  return server_->experimental().InProcessChannelWithInterceptors(ChannelArgs(),
                                                                  ClientInterceptors());
}

void GrpcServer::SetServing(bool serving) {
  if (server_ && server_->GetHealthCheckService()) {
    server_->GetHealthCheckService()->SetServingStatus(serving);
  }
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (!server_) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
  server_.reset();
}

std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target, std::string_view service) {
  // An IP literal needs no resolver: the "ipv4:" scheme skips DNS, whose
  // re-resolution after each refused connect cancels the next attempt.
  std::string uri = target;
  const size_t colon = target.rfind(':');
  if (colon != std::string::npos && target.find("://") == std::string::npos &&
      target.find_first_not_of("0123456789.") == colon) {
    uri = "ipv4:" + target;
  }
  grpc::ChannelArguments args = ChannelArgs();
  // Several replicas behind one target, a list of IP literals ("a:1,b:2") or
  // a name resolving to many (a headless Service): calls go round the ones
  // that are up (pick_first would send everything to one).
  const bool list = target.find(',') != std::string::npos;
  if (list && target.rfind("ipv4:", 0) != 0) uri = "ipv4:" + target;
  if (list || target.rfind("dns:", 0) == 0) args.SetLoadBalancingPolicyName("round_robin");
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      ProcessTransportSecurity().ChannelCredentials(service, args);
  return grpc::experimental::CreateCustomChannelWithInterceptors(uri, credentials, args,
                                                                 ClientInterceptors());
}

std::unique_ptr<grpc::ClientContext> NewClientContext(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  return context;
}

}  // namespace messenger::grpcx
