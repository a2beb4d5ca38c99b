#include "common/app/lifecycle.h"

#include <signal.h>

#include <algorithm>

#include "common/app/admin.h"
#include "common/app/process.h"
#include "common/grpc/transport_security.h"
#include "common/log.h"
#include "common/metrics.h"

namespace messenger::app {
namespace {

// The drain delay may take at most this part of the drain timeout: the rest
// is for the requests in flight.
constexpr double kMaxDelayShare = 0.5;
// A drain step at least this slow is logged at info, naming the step.
constexpr absl::Duration kSlowDrainStep = absl::Milliseconds(500);

}  // namespace

Lifecycle::Lifecycle(std::string name) : name_(std::move(name)) {
  InstallCrashReport();  // before BlockTerminationSignals, which takes SIGTERM back
  grpcx::ConfigureProcess();
  BlockTerminationSignals();
  log::SetService(name_);
  common_ = CommonConfig::FromEnv(env_);
  log::SetLevel(common_.log_level);
  // A bad certificate is a configuration error: main() refuses to start on
  // env().status().
  if (auto security = grpcx::TransportSecurity::Load(common_.grpc_tls); security.ok()) {
    if (!security->tls()) {
      log::Warn(
          "gRPC in plaintext: any caller is trusted (set MESSENGER_GRPC_TLS_* in production)");
    }
    grpcx::SetProcessTransportSecurity(std::move(*security));
  } else {
    env_.Invalid("gRPC mutual TLS", std::string(security.status().message()));
  }
  drain_delay_ = env_.Duration("MESSENGER_DRAIN_DELAY_MS", absl::Seconds(1), absl::Milliseconds(1),
                               0, 600'000);
}

Lifecycle::~Lifecycle() { StopNow(); }

int Lifecycle::Fail(const absl::Status& status) {
  log::Error("cannot start", {{"error", std::string(status.message())}});
  StopNow();
  return 1;
}

absl::StatusOr<bus::NatsBus*> Lifecycle::ConnectBus() {
  auto bus = bus::NatsBus::Connect(bus::NatsBus::Options::FromConfig(common_, name_));
  if (!bus.ok()) return bus.status();
  bus_ = std::move(*bus);
  return bus_.get();
}

void Lifecycle::OnBusReconnected(std::function<void()> hook) {
  if (bus_) bus_hooks_.push_back(bus_->OnReconnected(std::move(hook)));
}

std::function<absl::Status()> Lifecycle::Readiness(std::function<absl::Status()> check) {
  return [draining = draining_, check = std::move(check)] {
    if (draining->load()) return absl::UnavailableError("draining: the process is stopping");
    return check();
  };
}

bool Lifecycle::draining() const { return draining_->load(); }

absl::Status Lifecycle::ServeAdmin(const std::string& address,
                                   std::function<absl::Status()> check) {
  auto host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();
  auto server =
      http::Server::Start({.host = host_port->first, .port = host_port->second, .io_threads = 1},
                          AdminHandler(Readiness(std::move(check))));
  if (!server.ok()) return server.status();
  admin_ = std::move(*server);
  return absl::OkStatus();
}

absl::StatusOr<http::Server*> Lifecycle::ServeHttp(const http::Server::Options& options,
                                                   http::Handler handler) {
  auto server = http::Server::Start(options, std::move(handler));
  if (!server.ok()) return server.status();
  http::Server* raw = server->get();
  http_servers_.push_back(std::move(*server));
  AtRefuse("http: refuse new requests", [raw] { raw->Refuse(); });
  AtStop("http: requests in flight", [raw](absl::Time deadline) {
    raw->Stop(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  });
  return raw;
}

absl::StatusOr<grpcx::GrpcServer*> Lifecycle::ServeGrpc(
    const grpcx::ServerOptions& options, const std::vector<grpc::Service*>& services) {
  auto server = grpcx::GrpcServer::Start(options, services);
  if (!server.ok()) return server.status();
  grpcx::GrpcServer* raw = server->get();
  grpc_servers_.push_back(std::move(*server));
  AtStop("grpc: calls in flight", [raw](absl::Time deadline) {
    raw->Shutdown(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  });
  return raw;
}

void Lifecycle::AtRefuse(std::string what, std::function<void()> step) {
  refuse_steps_.push_back({std::move(what), [step = std::move(step)](absl::Time) { step(); }});
}

void Lifecycle::AtStop(std::string what, std::function<void(absl::Time deadline)> step) {
  stop_steps_.push_back({std::move(what), std::move(step)});
}

int Lifecycle::Run(const nlohmann::json& fields) {
  MemoryTrimmer trimmer(absl::Seconds(1));
  log::Info("serving", fields);
  const int signal = WaitForTerminationSignal();
  const absl::Time start = absl::Now();
  log::Info("draining",
            {{"signal", signal},
             {"delay_ms", signal == SIGINT ? 0 : absl::ToInt64Milliseconds(drain_delay_)},
             {"timeout_ms", absl::ToInt64Milliseconds(common_.drain_timeout)}});
  Drain(start + common_.drain_timeout, /*skip_delay=*/signal == SIGINT);
  const absl::Duration took = absl::Now() - start;
  metrics::Registry::Default()
      .GetHistogram("messenger_drain_seconds", "Time from SIGTERM to the end of the drain")
      .Observe(absl::ToDoubleSeconds(took));
  log::Info("stopped", {{"drain_ms", absl::ToInt64Milliseconds(took)}});
  return 0;
}

void Lifecycle::Drain(absl::Time deadline, bool skip_delay) {
  // 1. Out of the load balancer's rotation, still serving.
  draining_->store(true);
  for (auto& server : grpc_servers_) server->SetServing(false);
  if (!skip_delay) {
    const absl::Duration delay = std::min(drain_delay_, (deadline - absl::Now()) * kMaxDelayShare);
    absl::SleepFor(delay);
  }
  // A reconnect from here on has nobody to tell (its target may be gone).
  bus_hooks_.clear();
  // 2. Nothing new starts.
  for (Step& step : refuse_steps_) {
    log::Debug("drain step", {{"step", step.what}});
    step.run(deadline);
  }
  // 3. What runs finishes, outside in.
  for (auto it = stop_steps_.rbegin(); it != stop_steps_.rend(); ++it) {
    const absl::Time began = absl::Now();
    it->run(deadline);
    const absl::Duration took = absl::Now() - began;
    const nlohmann::json step = {{"step", it->what}, {"ms", absl::ToInt64Milliseconds(took)}};
    if (took >= kSlowDrainStep) {
      log::Info("slow drain step", step);
    } else {
      log::Debug("drain step", step);
    }
  }
  if (absl::Now() > deadline) {
    log::Warn("drain took longer than MESSENGER_DRAIN_TIMEOUT_MS",
              {{"over_ms", absl::ToInt64Milliseconds(absl::Now() - deadline)}});
  }
  refuse_steps_.clear();
  stop_steps_.clear();
  StopNow();
}

void Lifecycle::StopNow() {
  // Whatever the steps left running: without waiting, in reverse of starting.
  for (auto it = http_servers_.rbegin(); it != http_servers_.rend(); ++it) {
    (*it)->Stop(absl::ZeroDuration());
  }
  for (auto it = grpc_servers_.rbegin(); it != grpc_servers_.rend(); ++it) {
    (*it)->Shutdown(absl::ZeroDuration());
  }
  if (admin_) admin_->Stop(absl::Seconds(1));
  bus_hooks_.clear();
  // gRPC wants its services to outlive the server, and the handlers reach
  // into the modules: the servers go now, before the caller's modules do.
  http_servers_.clear();
  grpc_servers_.clear();
  admin_.reset();
}

}  // namespace messenger::app
