// gateway: the HTTP gateway alone (split mode); services via MESSENGER_*_ADDR.
#include "common/app/admin.h"
#include "common/app/lifecycle.h"
#include "common/log.h"
#include "gateway/src/gateway.h"

int main() {
  using namespace messenger;
  app::Lifecycle life("gateway");
  EnvReader& env = life.env();
  gateway::GatewayConfig config = gateway::GatewayConfig::FromEnv(env, life.common());
  // Health and metrics on the admin port only: the public port is for clients.
  config.admin_routes = false;
  const std::string admin_address = env.String("MESSENGER_GATEWAY_ADMIN_ADDR", "127.0.0.1:9200");
  gateway::ServiceChannels channels{
      grpcx::CreateChannel(env.String("MESSENGER_AUTH_ADDR", "127.0.0.1:9101"), "auth"),
      grpcx::CreateChannel(env.String("MESSENGER_SESSION_ADDR", "127.0.0.1:9102"), "session"),
      grpcx::CreateChannel(env.String("MESSENGER_PROFILE_ADDR", "127.0.0.1:9103"), "profile"),
      grpcx::CreateChannel(env.String("MESSENGER_CONTACT_ADDR", "127.0.0.1:9104"), "contact"),
      grpcx::CreateChannel(env.String("MESSENGER_MESSAGING_ADDR", "127.0.0.1:9105"), "messaging")};
  auto address = ParseHostPort(config.http_address);
  if (!address.ok()) return life.Fail(address.status());
  if (!env.status().ok()) return life.Fail(env.status());
  auto bus = life.ConnectBus();
  if (!bus.ok()) return life.Fail(bus.status());
  bus::NatsBus& nats = **bus;

  auto ready = [&nats] {
    return nats.connected() ? absl::OkStatus() : absl::UnavailableError("nats: not connected");
  };
  gateway::Gateway gw(config, channels, life.Readiness(ready));
  life.OnBusReconnected([&gw] { gw.OnBusReconnected(); });
  auto revoked = nats.Subscribe("session.revoked", [&gw](std::string_view, std::string_view data) {
    gw.bearer_auth().OnSessionRevokedEvent(data);
  });
  if (!revoked.ok()) return life.Fail(revoked.status());
  // Messaging says whose sync feed has news; waiting long polls here look again.
  auto wake = nats.Subscribe(bus::kSyncWakeSubject, [&gw](std::string_view, std::string_view data) {
    nlohmann::json users = nlohmann::json::parse(data, nullptr, false);
    if (!users.is_array()) return;
    std::vector<std::string> ids;
    for (const auto& u : users) {
      if (u.is_string()) ids.push_back(u.get<std::string>());
    }
    gw.sync_hub().Notify(ids);
  });
  if (!wake.ok()) return life.Fail(wake.status());
  life.AtStop("gateway workers", [&gw](absl::Time) { gw.Stop(); });
  // Long polls answer at once with what they have.
  life.AtRefuse("long polls", [&gw] { gw.sync_hub().Stop(); });
  auto server = life.ServeHttp(config.HttpOptions(address->first, address->second), gw.Handler());
  if (!server.ok()) return life.Fail(server.status());
  if (absl::Status s = life.ServeAdmin(admin_address, ready); !s.ok()) return life.Fail(s);
  return life.Run({{"http", config.http_address}, {"admin", admin_address}});
}
