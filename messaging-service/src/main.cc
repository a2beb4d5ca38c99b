// messaging-service: the messaging service alone (split mode).
#include "messaging-service/src/messaging_module.h"

int main() {
  using namespace messenger;
  return ServiceMain({.name = "messaging",
                      .grpc_address_var = "MESSENGER_MESSAGING_ADDR",
                      .default_grpc_address = "127.0.0.1:9105",
                      .admin_address_var = "MESSENGER_MESSAGING_ADMIN_ADDR",
                      .default_admin_address = "127.0.0.1:9205"},
                     [](const CommonConfig& common, EnvReader& env, bus::NatsBus& bus)
                         -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
                       const std::string contact =
                           env.String("MESSENGER_CONTACT_ADDR", "127.0.0.1:9104");
                       const std::string auth = env.String("MESSENGER_AUTH_ADDR", "127.0.0.1:9101");
                       // Where the other replicas forward writes of rooms this one owns.
                       const std::string advertise =
                           env.String("MESSENGER_MESSAGING_ADVERTISE_ADDRESS",
                                      env.String("MESSENGER_MESSAGING_ADDR", "127.0.0.1:9105"));
                       auto host = ParseHostPort(advertise);
                       if (!host.ok()) return host.status();
                       if (host->first == "0.0.0.0" || host->first == "::" || host->first == "[::]") {
                         return absl::InvalidArgumentError(
                             "MESSENGER_MESSAGING_ADVERTISE_ADDRESS: other replicas need an "
                             "address they can reach, not " + advertise);
                       }
                       auto module = messaging::MessagingModule::Create(
                           common, bus,
                           [contact] { return grpcx::CreateChannel(contact, "contact"); },
                           [auth] { return grpcx::CreateChannel(auth, "auth"); },
                           /*publish_wakeups=*/true, messaging::MessagingLimitsFromEnv(env),
                           {.advertise_address = advertise},
                           federation::FederationConfig::FromEnv(env),
                           messaging::AccountLimitsFromEnv(env));
                       if (!module.ok()) return module.status();
                       return std::unique_ptr<ServiceModule>(std::move(*module));
                     });
}
