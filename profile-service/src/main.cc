// profile-service: the profile service alone (split mode).
#include "profile-service/src/profile_module.h"

int main() {
  using namespace messenger;
  return ServiceMain({.name = "profile",
                      .grpc_address_var = "MESSENGER_PROFILE_ADDR",
                      .default_grpc_address = "127.0.0.1:9103",
                      .admin_address_var = "MESSENGER_PROFILE_ADMIN_ADDR",
                      .default_admin_address = "127.0.0.1:9203"},
                     [](const CommonConfig& common, EnvReader& env, bus::NatsBus& bus)
                         -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
                       const std::string auth = env.String("MESSENGER_AUTH_ADDR", "127.0.0.1:9101");
                       auto module = profile::ProfileModule::Create(
                           common, bus, [auth] { return grpcx::CreateChannel(auth, "auth"); });
                       if (!module.ok()) return module.status();
                       return std::unique_ptr<ServiceModule>(std::move(*module));
                     });
}
