// messenger: the gateway and every service in one process, wired by in-process
// gRPC channels (the code path of split mode without the network hop). The
// services also listen on MESSENGER_GRPC_ADDR for other internal clients.
#include "auth-service/src/auth_module.h"
#include "common/app/admin.h"
#include "common/app/lifecycle.h"
#include "common/log.h"
#include "contact-service/src/contact_module.h"
#include "gateway/src/gateway.h"
#include "messaging-service/src/messaging_module.h"
#include "profile-service/src/profile_module.h"
#include "session-service/src/session_module.h"

int main() {
  using namespace messenger;
  app::Lifecycle life("messenger");
  EnvReader& env = life.env();
  const CommonConfig& common = life.common();
  const gateway::GatewayConfig gateway_config = gateway::GatewayConfig::FromEnv(env, common);
  const session::SessionConfig session_config = session::SessionConfig::FromEnv(env);
  const auth::AuthConfig auth_config = auth::AuthConfig::FromEnv(env, common);
  const messaging::MessagingLimits messaging_limits = messaging::MessagingLimitsFromEnv(env);
  const federation::FederationConfig federation_config = federation::FederationConfig::FromEnv(env);
  const messaging::AccountLimits account_limits = messaging::AccountLimitsFromEnv(env);
  const std::string grpc_address = env.String("MESSENGER_GRPC_ADDR", "127.0.0.1:9090");
  if (!env.status().ok()) return life.Fail(env.status());
  auto http_address = ParseHostPort(gateway_config.http_address);
  if (!http_address.ok()) return life.Fail(http_address.status());

  InitCrypto();
  auto connected = life.ConnectBus();
  if (!connected.ok()) return life.Fail(connected.status());
  bus::NatsBus& bus = **connected;

  // Modules that call other services get their channel at first use, from the
  // server built once every module exists.
  grpcx::GrpcServer* server = nullptr;
  const grpcx::ChannelSource in_process = [&server] { return server->InProcessChannel(); };

  auto session = session::SessionModule::Create(common, session_config, bus);
  if (!session.ok()) return life.Fail(session.status());
  auto auth = auth::AuthModule::Create(common, auth_config, bus, in_process);
  if (!auth.ok()) return life.Fail(auth.status());
  auto profile = profile::ProfileModule::Create(common, bus, in_process);
  if (!profile.ok()) return life.Fail(profile.status());
  auto contact = contact::ContactModule::Create(common, bus, in_process);
  if (!contact.ok()) return life.Fail(contact.status());
  // Wake-ups reach the gateway directly (below), not through NATS.
  auto messaging = messaging::MessagingModule::Create(common, bus, in_process, in_process,
                                                      /*publish_wakeups=*/false, messaging_limits,
                                                      /*sharding=*/{}, federation_config,
                                                      account_limits);
  if (!messaging.ok()) return life.Fail(messaging.status());
  std::vector<ServiceModule*> modules = {session->get(), auth->get(), profile->get(),
                                         contact->get(), messaging->get()};
  if (common.migrate_only) {
    log::Info("migrations applied (MESSENGER_MIGRATE_ONLY)");
    return 0;
  }

  std::vector<grpc::Service*> services;
  for (ServiceModule* m : modules) {
    for (grpc::Service* s : m->grpc_services()) services.push_back(s);
  }
  // Stop steps run newest first: the HTTP requests, the gateway's workers,
  // the gRPC calls, then the services' consumers and outboxes.
  life.AtStop("service cores", [&modules](absl::Time) {
    for (ServiceModule* m : modules) m->core().Stop();
  });
  auto started = life.ServeGrpc({.listen_address = grpc_address}, services);
  if (!started.ok()) return life.Fail(started.status());
  server = *started;
  for (ServiceModule* m : modules) m->core().Start();

  gateway::Gateway gw(gateway_config,
                      {in_process(), in_process(), in_process(), in_process(), in_process()},
                      life.Readiness([&modules]() -> absl::Status {
                        for (ServiceModule* m : modules) {
                          if (absl::Status s = m->core().Ready(); !s.ok()) return s;
                        }
                        return absl::OkStatus();
                      }));
  (*messaging)->hub().AddListener([&gw](const std::vector<std::string>& users) {
    gw.sync_hub().Notify(users);
  });
  // Revocations made through other gateway replicas. Revocations broadcast
  // while the connection was down are lost: forget every cached token when
  // it comes back.
  life.OnBusReconnected([&gw] { gw.OnBusReconnected(); });
  auto revoked = bus.Subscribe("session.revoked", [&gw](std::string_view, std::string_view data) {
    gw.bearer_auth().OnSessionRevokedEvent(data);
  });
  if (!revoked.ok()) return life.Fail(revoked.status());
  life.AtStop("gateway workers", [&gw, &revoked](absl::Time) {
    gw.Stop();
    revoked->reset();
  });
  // Long polls answer at once with what they have.
  life.AtRefuse("long polls", [&gw, &modules] {
    for (ServiceModule* m : modules) {
      m->BeginDrain();
      m->AnswerWaiting();
    }
    gw.sync_hub().Stop();
  });
  auto http = life.ServeHttp(gateway_config.HttpOptions(http_address->first, http_address->second),
                             gw.Handler());
  if (!http.ok()) return life.Fail(http.status());
  return life.Run({{"http", gateway_config.http_address}, {"grpc", grpc_address}});
}
