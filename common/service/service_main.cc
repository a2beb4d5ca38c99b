#include "common/service/service_main.h"

#include "common/app/lifecycle.h"
#include "common/log.h"

namespace messenger {

int ServiceMain(const ServiceMainSpec& spec, const ModuleFactory& factory) {
  app::Lifecycle life(spec.name);
  EnvReader& env = life.env();
  const std::string grpc_address = env.String(spec.grpc_address_var, spec.default_grpc_address);
  const std::string admin_address = env.String(spec.admin_address_var, spec.default_admin_address);
  InitCrypto();
  auto bus = life.ConnectBus();
  if (!bus.ok()) return life.Fail(bus.status());
  auto module = factory(life.common(), env, **bus);
  if (!module.ok()) return life.Fail(module.status());
  if (!env.status().ok()) return life.Fail(env.status());
  // The module applied its migrations while it was built; its bus stayed
  // offline (NATS is not needed).
  if (life.common().migrate_only) {
    log::Info("migrations applied (MESSENGER_MIGRATE_ONLY)", {{"schema", spec.name}});
    return 0;
  }

  ServiceCore& core = (*module)->core();
  // New work is refused from here on: shards go to other replicas at once.
  life.AtRefuse("owned work", [m = module->get()] { m->BeginDrain(); });
  life.AtRefuse("waiting calls", [m = module->get()] { m->AnswerWaiting(); });
  // Runs after the gRPC server stopped: consumers ack, the outbox publishes.
  life.AtStop("service core", [&core](absl::Time) { core.Stop(); });
  auto server = life.ServeGrpc({.listen_address = grpc_address}, (*module)->grpc_services());
  if (!server.ok()) return life.Fail(server.status());
  core.Start();
  if (absl::Status s = life.ServeAdmin(admin_address, [&core] { return core.Ready(); }); !s.ok()) {
    return life.Fail(s);
  }
  return life.Run({{"grpc", grpc_address}, {"admin", admin_address}});
}

}  // namespace messenger
