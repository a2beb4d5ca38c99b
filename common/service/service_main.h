// The main() of a split-mode service binary: the module, its gRPC server and
// admin port on the shared start/stop sequence (common/app/lifecycle.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "common/app/admin.h"
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
  // Drain, new work refused: give up what other processes should take
  // over at once (messaging: its room shards).
  virtual void BeginDrain() {}
  // Drain: calls that wait for news (long polls) answer now with what they
  // have, so that the gRPC server's stop does not wait for their timeout.
  virtual void AnswerWaiting() {}
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

}  // namespace messenger
