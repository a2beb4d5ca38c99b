// session-service: the session service alone (split mode).
#include "common/service/service_main.h"
#include "session-service/src/session_module.h"

int main() {
  using namespace messenger;
  return ServiceMain({.name = "session",
                      .grpc_address_var = "MESSENGER_SESSION_ADDR",
                      .default_grpc_address = "127.0.0.1:9102",
                      .admin_address_var = "MESSENGER_SESSION_ADMIN_ADDR",
                      .default_admin_address = "127.0.0.1:9202"},
                     [](const CommonConfig& common, EnvReader& env, bus::NatsBus& bus)
                         -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
                       auto module = session::SessionModule::Create(
                           common, session::SessionConfig::FromEnv(env), bus);
                       if (!module.ok()) return module.status();
                       return std::unique_ptr<ServiceModule>(std::move(*module));
                     });
}
