// messenger: the gateway and every service in one process, wired by in-process
// gRPC channels (the code path of split mode without the network hop). The
// services also listen on MESSENGER_GRPC_ADDR for other internal clients.
#include <atomic>

#include "auth-service/src/auth_module.h"
#include "common/bus/nats_bus.h"
#include "common/log.h"
#include "common/service/service_main.h"
#include "contact-service/src/contact_module.h"
#include "gateway/src/gateway.h"
#include "messaging-service/src/messaging_module.h"
#include "profile-service/src/profile_module.h"
#include "session-service/src/session_module.h"

int main() {
  using namespace messenger;
  grpcx::ConfigureProcess();
  BlockTerminationSignals();
  log::SetService("messenger");
  EnvReader env;
  const CommonConfig common = CommonConfig::FromEnv(env);
  log::SetLevel(common.log_level);
  auto fail = [](const absl::Status& s) {
    log::Error("cannot start", {{"error", std::string(s.message())}});
    return 1;
  };
  const gateway::GatewayConfig gateway_config = gateway::GatewayConfig::FromEnv(env, common);
  const session::SessionConfig session_config = session::SessionConfig::FromEnv(env);
  const auth::AuthConfig auth_config = auth::AuthConfig::FromEnv(env, common);
  const messaging::MessagingLimits messaging_limits = messaging::MessagingLimitsFromEnv(env);
  const federation::FederationConfig federation_config = federation::FederationConfig::FromEnv(env);
  const std::string grpc_address = env.String("MESSENGER_GRPC_ADDR", "127.0.0.1:9090");
  if (!env.status().ok()) return fail(env.status());
  auto http_address = ParseHostPort(gateway_config.http_address);
  if (!http_address.ok()) return fail(http_address.status());

  InitCrypto();
  auto bus = bus::NatsBus::Connect({.url = common.nats_url, .name = "messenger"});
  if (!bus.ok()) return fail(bus.status());

  // Modules that call other services get their channel at first use, from the
  // server built once every module exists.
  std::unique_ptr<grpcx::GrpcServer> server;
  const grpcx::ChannelSource in_process = [&server] { return server->InProcessChannel(); };

  auto session = session::SessionModule::Create(common, session_config, **bus);
  if (!session.ok()) return fail(session.status());
  auto auth = auth::AuthModule::Create(common, auth_config, **bus, in_process);
  if (!auth.ok()) return fail(auth.status());
  auto profile = profile::ProfileModule::Create(common, **bus);
  if (!profile.ok()) return fail(profile.status());
  auto contact = contact::ContactModule::Create(common, **bus);
  if (!contact.ok()) return fail(contact.status());
  // Wake-ups reach the gateway directly (below), not through NATS.
  auto messaging = messaging::MessagingModule::Create(common, **bus, in_process,
                                                      /*publish_wakeups=*/false, messaging_limits,
                                                      federation_config);
  if (!messaging.ok()) return fail(messaging.status());
  std::vector<ServiceModule*> modules = {session->get(), auth->get(), profile->get(),
                                         contact->get(), messaging->get()};

  std::vector<grpc::Service*> services;
  for (ServiceModule* m : modules) {
    for (grpc::Service* s : m->grpc_services()) services.push_back(s);
  }
  auto started = grpcx::GrpcServer::Start({.listen_address = grpc_address}, services);
  if (!started.ok()) return fail(started.status());
  server = std::move(*started);
  for (ServiceModule* m : modules) m->core().Start();

  gateway::Gateway gw(gateway_config,
                      {in_process(), in_process(), in_process(), in_process(), in_process()},
                      [&modules]() -> absl::Status {
    for (ServiceModule* m : modules) {
      if (absl::Status s = m->core().Ready(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  (*messaging)->hub().AddListener(
      [&gw](const std::vector<std::string>& users) { gw.sync_hub().Notify(users); });
  // Revocations made through other gateway replicas.
  // Revocations broadcast while the connection was down are lost: forget
  // every cached token when it comes back.
  (*bus)->OnReconnected([&gw] { gw.OnBusReconnected(); });
  auto revoked = (*bus)->Subscribe("session.revoked", [&gw](std::string_view, std::string_view data) {
    gw.bearer_auth().OnSessionRevokedEvent(data);
  });
  if (!revoked.ok()) return fail(revoked.status());
  auto http = http::Server::Start(
      gateway_config.HttpOptions(http_address->first, http_address->second), gw.Handler());
  if (!http.ok()) return fail(http.status());
  MemoryTrimmer trimmer(absl::Seconds(1));
  log::Info("serving", {{"http", gateway_config.http_address}, {"grpc", grpc_address}});

  const int signal = WaitForTerminationSignal();
  log::Info("stopping", {{"signal", signal}});
  // Outside in: answer the long polls, stop taking requests, finish those in
  // flight, then the services.
  (*messaging)->hub().Stop();
  (*bus)->OnReconnected(nullptr);
  gw.sync_hub().Stop();
  (*http)->Stop(common.drain_timeout);
  gw.Stop();
  revoked->reset();
  server->Shutdown(absl::Seconds(2));
  for (ServiceModule* m : modules) m->core().Stop();
  log::Info("stopped");
  return 0;
}
