// The session service assembled: store, use cases and gRPC adapter on a
// ServiceCore. Used by the session-service binary and the all-in-one binary.
#pragma once

#include <memory>

#include "common/config.h"
#include "common/service/service_core.h"
#include "common/service/service_main.h"
#include "session-service/src/grpc/session_grpc_service.h"
#include "session-service/src/service/session_manager.h"
#include "session-service/src/storage/pg_session_store.h"

namespace messenger::session {

struct SessionConfig {
  SessionPolicy policy;
  static SessionConfig FromEnv(EnvReader& env);
};

class SessionModule final : public ServiceModule {
 public:
  static absl::StatusOr<std::unique_ptr<SessionModule>> Create(const CommonConfig& common,
                                                               const SessionConfig& config,
                                                               bus::NatsBus& bus);
  std::vector<grpc::Service*> grpc_services() override { return {grpc_.get()}; }
  ServiceCore& core() override { return *core_; }

 private:
  SessionModule() = default;
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgSessionStore> store_;
  std::unique_ptr<SessionManager> manager_;
  std::unique_ptr<SessionGrpcService> grpc_;
};

}  // namespace messenger::session
