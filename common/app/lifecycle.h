// The start/stop sequence every server binary shares: process settings,
// configuration, the NATS connection, the admin port (/healthz, /readyz,
// /metrics), public HTTP and gRPC servers, and the drain on SIGTERM:
//
//   1. readiness goes false at once (/readyz 503, gRPC health NOT_SERVING);
//   2. MESSENGER_DRAIN_DELAY_MS later (endpoints removed by then; SIGINT
//      skips the wait) new work is refused with a retryable error: HTTP 503
//      with Retry-After, gRPC UNAVAILABLE; the AtRefuse steps run (long
//      polls answered with what they have);
//   3. the AtStop steps run, newest first: servers wait for the requests in
//      flight, then workers, consumers and the outbox relay finish;
//   4. the admin port and NATS close; exit 0, all within
//      MESSENGER_DRAIN_TIMEOUT_MS of the signal.
//
// main() creates one Lifecycle first, wires its parts, and returns Run().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/nats_bus.h"
#include "common/config.h"
#include "common/grpc/grpc_util.h"
#include "common/http/http_server.h"

namespace messenger::app {

class Lifecycle {
 public:
  // Sets the gRPC process settings, blocks the termination signals, names
  // the log lines `name` and reads the common configuration.
  explicit Lifecycle(std::string name);
  ~Lifecycle();
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  EnvReader& env() { return env_; }
  const CommonConfig& common() const { return common_; }
  absl::Duration drain_delay() const { return drain_delay_; }

  // Logs why the process cannot start, stops what was started; returns 1.
  int Fail(const absl::Status& status);

  // The process's NATS connection (it reconnects by itself); closed last.
  absl::StatusOr<bus::NatsBus*> ConnectBus();
  // `hook` runs each time NATS comes back after a loss, until the drain.
  void OnBusReconnected(std::function<void()> hook);

  // `check` while serving; UNAVAILABLE from the termination signal on.
  std::function<absl::Status()> Readiness(std::function<absl::Status()> check);
  bool draining() const;

  // /healthz, /readyz (Readiness(check)) and /metrics on "host:port";
  // stopped after everything else.
  absl::Status ServeAdmin(const std::string& address, std::function<absl::Status()> check);
  // A public HTTP server: refuses new requests at step 2, waits for those in
  // flight at step 3.
  absl::StatusOr<http::Server*> ServeHttp(const http::Server::Options& options,
                                          http::Handler handler);
  // A gRPC server: NOT_SERVING at step 1; at step 3 it stops taking calls
  // (UNAVAILABLE) and waits for those running.
  absl::StatusOr<grpcx::GrpcServer*> ServeGrpc(const grpcx::ServerOptions& options,
                                               const std::vector<grpc::Service*>& services);

  // Step 2: runs in the order added.
  void AtRefuse(std::string what, std::function<void()> step);
  // Step 3: runs newest first (add a part's stop before starting what uses
  // it); `deadline` is the end of the drain timeout.
  void AtStop(std::string what, std::function<void(absl::Time deadline)> step);

  // Serves until SIGTERM or SIGINT, then drains; returns the exit status.
  // `fields` go into the "serving" log line.
  int Run(const nlohmann::json& fields);

 private:
  struct Step {
    std::string what;
    std::function<void(absl::Time deadline)> run;
  };
  void Drain(absl::Time deadline, bool skip_delay);
  void StopNow();

  std::string name_;
  EnvReader env_;
  CommonConfig common_;
  absl::Duration drain_delay_;
  std::unique_ptr<bus::NatsBus> bus_;
  std::vector<std::unique_ptr<bus::NatsBus::ReconnectHook>> bus_hooks_;  // before bus_ goes
  std::unique_ptr<http::Server> admin_;
  std::vector<std::unique_ptr<http::Server>> http_servers_;
  std::vector<std::unique_ptr<grpcx::GrpcServer>> grpc_servers_;
  std::vector<Step> refuse_steps_;
  std::vector<Step> stop_steps_;
  std::shared_ptr<std::atomic<bool>> draining_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace messenger::app
