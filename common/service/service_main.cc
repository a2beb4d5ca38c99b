#include "common/service/service_main.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "common/grpc/grpc_util.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status.h"

namespace messenger {

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("want host:port, got \"" + address + "\"");
  }
  return std::make_pair(address.substr(0, colon), port);
}

http::Handler AdminHandler(std::function<absl::Status()> ready) {
  return [ready = std::move(ready)](http::Request&& request, http::Responder respond) {
    if (request.path == "/healthz") return respond(http::Response::Json(200, {{"status", "ok"}}));
    if (request.path == "/readyz") {
      absl::Status status = ready();
      if (!status.ok()) return respond(http::Response::Error(status));
      return respond(http::Response::Json(200, {{"status", "ready"}}));
    }
    if (request.path == "/metrics") {
      http::Response r;
      r.body = metrics::Registry::Default().Render();
      r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
      return respond(std::move(r));
    }
    respond(http::Response::Error(404, absl::StatusCode::kNotFound, "no such route"));
  };
}

int ServiceMain(const ServiceMainSpec& spec, const ModuleFactory& factory) {
  grpcx::ConfigureProcess();
  BlockTerminationSignals();
  log::SetService(spec.name);
  EnvReader env;
  CommonConfig common = CommonConfig::FromEnv(env);
  log::SetLevel(common.log_level);
  const std::string grpc_address = env.String(spec.grpc_address_var, spec.default_grpc_address);
  const std::string admin_address = env.String(spec.admin_address_var, spec.default_admin_address);
  auto fail = [&](const absl::Status& status) {
    log::Error("cannot start", {{"error", std::string(status.message())}});
    return 1;
  };
  auto admin = ParseHostPort(admin_address);
  if (!admin.ok()) return fail(admin.status());

  InitCrypto();
  auto bus = bus::NatsBus::Connect(bus::NatsBus::Options::FromConfig(common, spec.name));
  if (!bus.ok()) return fail(bus.status());
  auto module = factory(common, env, **bus);
  if (!module.ok()) return fail(module.status());
  if (!env.status().ok()) return fail(env.status());
  // The module applied its migrations while it was built; its bus stayed
  // offline (NATS is not needed).
  if (common.migrate_only) {
    log::Info("migrations applied (MESSENGER_MIGRATE_ONLY)", {{"schema", spec.name}});
    return 0;
  }

  auto server = grpcx::GrpcServer::Start({.listen_address = grpc_address},
                                         (*module)->grpc_services());
  if (!server.ok()) return fail(server.status());
  ServiceCore& core = (*module)->core();
  core.Start();
  auto admin_server = http::Server::Start({.host = admin->first, .port = admin->second, .io_threads = 1},
                                          AdminHandler([&core] { return core.Ready(); }));
  if (!admin_server.ok()) return fail(admin_server.status());
  log::Info("serving", {{"grpc", grpc_address}, {"admin", admin_address}});

  const int signal = WaitForTerminationSignal();
  log::Info("stopping", {{"signal", signal}});
  (*server)->Shutdown(common.drain_timeout);
  core.Stop();
  (*admin_server)->Stop(absl::Seconds(1));
  log::Info("stopped");
  return 0;
}

}  // namespace messenger
