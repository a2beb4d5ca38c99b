// gateway: the HTTP gateway alone (split mode); services via MESSENGER_*_ADDR.
#include "common/bus/nats_bus.h"
#include "common/log.h"
#include "common/service/service_main.h"
#include "gateway/src/gateway.h"

int main() {
  using namespace messenger;
  grpcx::ConfigureProcess();
  BlockTerminationSignals();
  log::SetService("gateway");
  EnvReader env;
  const CommonConfig common = CommonConfig::FromEnv(env);
  log::SetLevel(common.log_level);
  gateway::GatewayConfig config = gateway::GatewayConfig::FromEnv(env, common);
  // Health and metrics on the admin port only: the public port is for clients.
  config.admin_routes = false;
  const std::string admin_address = env.String("MESSENGER_GATEWAY_ADMIN_ADDR", "127.0.0.1:9200");
  gateway::ServiceChannels channels{
      grpcx::CreateChannel(env.String("MESSENGER_AUTH_ADDR", "127.0.0.1:9101")),
      grpcx::CreateChannel(env.String("MESSENGER_SESSION_ADDR", "127.0.0.1:9102")),
      grpcx::CreateChannel(env.String("MESSENGER_PROFILE_ADDR", "127.0.0.1:9103")),
      grpcx::CreateChannel(env.String("MESSENGER_CONTACT_ADDR", "127.0.0.1:9104")),
      grpcx::CreateChannel(env.String("MESSENGER_MESSAGING_ADDR", "127.0.0.1:9105"))};
  auto fail = [](const absl::Status& s) {
    log::Error("cannot start", {{"error", std::string(s.message())}});
    return 1;
  };
  auto address = ParseHostPort(config.http_address);
  if (!address.ok()) return fail(address.status());
  auto admin = ParseHostPort(admin_address);
  if (!admin.ok()) return fail(admin.status());
  if (!env.status().ok()) return fail(env.status());
  auto bus = bus::NatsBus::Connect(bus::NatsBus::Options::FromConfig(common, "gateway"));
  if (!bus.ok()) return fail(bus.status());

  auto ready = [&] {
    return (*bus)->connected() ? absl::OkStatus() : absl::UnavailableError("nats: not connected");
  };
  gateway::Gateway gw(config, channels, ready);
  (*bus)->OnReconnected([&gw] { gw.OnBusReconnected(); });
  auto revoked = (*bus)->Subscribe("session.revoked", [&gw](std::string_view, std::string_view data) {
    gw.bearer_auth().OnSessionRevokedEvent(data);
  });
  if (!revoked.ok()) return fail(revoked.status());
  // Messaging says whose sync feed has news; waiting long polls here look again.
  auto wake = (*bus)->Subscribe(bus::kSyncWakeSubject, [&gw](std::string_view, std::string_view data) {
    nlohmann::json users = nlohmann::json::parse(data, nullptr, false);
    if (!users.is_array()) return;
    std::vector<std::string> ids;
    for (const auto& u : users) {
      if (u.is_string()) ids.push_back(u.get<std::string>());
    }
    gw.sync_hub().Notify(ids);
  });
  if (!wake.ok()) return fail(wake.status());
  auto server =
      http::Server::Start(config.HttpOptions(address->first, address->second), gw.Handler());
  if (!server.ok()) return fail(server.status());
  auto admin_server = http::Server::Start(
      {.host = admin->first, .port = admin->second, .io_threads = 1}, AdminHandler(ready));
  if (!admin_server.ok()) return fail(admin_server.status());
  MemoryTrimmer trimmer(absl::Seconds(1));
  log::Info("serving", {{"http", config.http_address}, {"admin", admin_address}});
  WaitForTerminationSignal();
  (*bus)->OnReconnected(nullptr);
  gw.sync_hub().Stop();
  (*server)->Stop(common.drain_timeout);
  (*admin_server)->Stop(absl::Seconds(1));
  gw.Stop();
  return 0;
}
