// gRPC plumbing shared by every service: server bootstrap (health, reflection,
// metrics interceptor), blocking handlers on a bounded pool, and clients that
// carry the trace id and a deadline.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc/work_pool.h"
#include "common/status_mapping.h"
#include "common/trace.h"

namespace messenger::grpcx {

// Process-wide gRPC settings; call first in main(), before any gRPC object.
// Sets the client backup poller to 100 ms (default 5 s): a channel whose
// calls all fail fast (service down) makes progress reconnecting only when
// polled, so without this a restarted service is used again seconds late.
// Also turns off abseil's lock-order checking (see the definition).
void ConfigureProcess();

// The trace id a caller sent ("traceparent" metadata), or a new one.
std::string TraceIdFrom(const grpc::ServerContextBase& context);

// Runs `fn(finish)` on `pool` with the caller's trace id; `fn` calls
// `finish(absl::Status)` once, then or later from any thread (work that
// continues elsewhere holds no pool thread). A call whose deadline passed
// while queued is not run.
template <typename Fn>
void FinishLaterOnPool(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                       WorkPool& pool, Fn fn) {
  std::string trace_id = TraceIdFrom(*context);
  const bool queued = pool.Submit([context, reactor, trace_id = std::move(trace_id),
                                   fn = std::move(fn)]() mutable {
    trace::ScopedTrace scoped(std::move(trace_id));
    if (context->IsCancelled() || context->deadline() < std::chrono::system_clock::now()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed in queue"));
      return;
    }
    fn([reactor](const absl::Status& status) { reactor->Finish(ToGrpcStatus(status)); });
  });
  if (!queued) reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy"));
}

// Finishes `reactor` with `fn()` (absl::Status) run on `pool` (see
// FinishLaterOnPool).
template <typename Fn>
void FinishOnPool(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                  WorkPool& pool, Fn fn) {
  FinishLaterOnPool(context, reactor, pool,
                    [fn = std::move(fn)](const auto& finish) mutable { finish(fn()); });
}

// Serves a unary call of a CallbackService by running `fn` on `pool` (see
// FinishOnPool).
template <typename Fn>
grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* context, WorkPool& pool,
                                      Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  FinishOnPool(context, reactor, pool, std::move(fn));
  return reactor;
}

// Serves a unary call by running `fn(finish)` on `pool` (see FinishLaterOnPool).
template <typename Fn>
grpc::ServerUnaryReactor* RunLater(grpc::CallbackServerContext* context, WorkPool& pool, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  FinishLaterOnPool(context, reactor, pool, std::move(fn));
  return reactor;
}

struct ServerOptions {
  // "host:port" to listen on ("" = in-process only; port 0 = pick one).
  std::string listen_address;
  int max_message_bytes = 4 * 1024 * 1024;
};

class GrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const ServerOptions& options,
                                                           const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  // A channel to this server without a network hop (interceptors included).
  std::shared_ptr<grpc::Channel> InProcessChannel();
  int port() const { return port_; }
  // Stops accepting calls and waits for running ones until `deadline`.
  void Shutdown(absl::Duration grace);
  void SetServing(bool serving);

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// A TCP channel to `target`, the address of `service` ("contact"), with the
// client interceptors and the process's transport security (with TLS the
// server must prove to be `service`).
std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target, std::string_view service);

// Where a client gets its channel, asked once at first use: lets the
// all-in-one binary hand out in-process channels of a server that is built
// after the modules that call it.
using ChannelSource = std::function<std::shared_ptr<grpc::Channel>()>;

// A stub made from a ChannelSource at first use.
template <typename Service>
class LazyStub {
 public:
  explicit LazyStub(ChannelSource source) : source_(std::move(source)) {}
  typename Service::Stub& get() {
    std::call_once(once_, [this] { stub_ = Service::NewStub(source_()); });
    return *stub_;
  }

 private:
  ChannelSource source_;
  std::once_flag once_;
  std::unique_ptr<typename Service::Stub> stub_;
};

// A client context with a deadline `timeout` from now (trace id is added by the
// channel's interceptor).
std::unique_ptr<grpc::ClientContext> NewClientContext(absl::Duration timeout);

}  // namespace messenger::grpcx
