// auth-service: the auth service alone (split mode).
#include "auth-service/src/auth_module.h"
#include "common/grpc/grpc_util.h"

int main() {
  using namespace messenger;
  return ServiceMain({.name = "auth",
                      .grpc_address_var = "MESSENGER_AUTH_ADDR",
                      .default_grpc_address = "127.0.0.1:9101",
                      .admin_address_var = "MESSENGER_AUTH_ADMIN_ADDR",
                      .default_admin_address = "127.0.0.1:9201"},
                     [](const CommonConfig& common, EnvReader& env, bus::NatsBus& bus)
                         -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
                       const std::string session =
                           env.String("MESSENGER_SESSION_ADDR", "127.0.0.1:9102");
                       auto module = auth::AuthModule::Create(
                           common, auth::AuthConfig::FromEnv(env, common), bus,
                           [session] { return grpcx::CreateChannel(session, "session"); });
                       if (!module.ok()) return module.status();
                       return std::unique_ptr<ServiceModule>(std::move(*module));
                     });
}
