// The main() of a split-mode service binary: config, logging, NATS, the
// module, its gRPC server, an admin HTTP port (/healthz, /readyz, /metrics),
// and a clean stop on SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "common/bus/nats_bus.h"
#include "common/config.h"
#include "common/http/http_server.h"
#include "common/service/service_core.h"

namespace messenger {

// One service as a unit that a process can host.
class ServiceModule {
 public:
  virtual ~ServiceModule() = default;
  virtual std::vector<grpc::Service*> grpc_services() = 0;
  virtual ServiceCore& core() = 0;
  // SIGTERM arrived; the gRPC server drains next. Give up what other
  // processes should take over at once (messaging: its room shards).
  virtual void BeginDrain() {}
};

struct ServiceMainSpec {
  std::string name;                // "session"
  std::string grpc_address_var;    // "MESSENGER_SESSION_ADDR"
  std::string default_grpc_address;
  std::string admin_address_var;   // "MESSENGER_SESSION_ADMIN_ADDR"
  std::string default_admin_address;
};

using ModuleFactory = std::function<absl::StatusOr<std::unique_ptr<ServiceModule>>(
    const CommonConfig& common, EnvReader& env, bus::NatsBus& bus)>;

int ServiceMain(const ServiceMainSpec& spec, const ModuleFactory& factory);

// Splits "host:port"; INVALID_ARGUMENT when malformed.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(const std::string& address);

// /healthz, /readyz (via `ready`) and /metrics.
http::Handler AdminHandler(std::function<absl::Status()> ready);

}  // namespace messenger
