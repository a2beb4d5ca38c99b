// contact-service: the contact service alone (split mode).
#include "contact-service/src/contact_module.h"

int main() {
  using namespace messenger;
  return ServiceMain({.name = "contact",
                      .grpc_address_var = "MESSENGER_CONTACT_ADDR",
                      .default_grpc_address = "127.0.0.1:9104",
                      .admin_address_var = "MESSENGER_CONTACT_ADMIN_ADDR",
                      .default_admin_address = "127.0.0.1:9204"},
                     [](const CommonConfig& common, EnvReader& env, bus::NatsBus& bus)
                         -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
                       const std::string auth = env.String("MESSENGER_AUTH_ADDR", "127.0.0.1:9101");
                       auto module = contact::ContactModule::Create(
                           common, bus, [auth] { return grpcx::CreateChannel(auth, "auth"); });
                       if (!module.ok()) return module.status();
                       return std::unique_ptr<ServiceModule>(std::move(*module));
                     });
}
