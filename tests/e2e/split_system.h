// Split mode: one process per service plus the gateway, each on its own ports,
// finding each other through MESSENGER_*_ADDR.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {

struct SplitSystem {
  SplitSystem();
  // The environment every process gets.
  std::map<std::string, std::string> Env(const std::string& pg_dsn, const std::string& nats_url,
                                         const std::string& dir) const;
  // Starts every service, then the gateway.
  absl::Status StartAll(const std::map<std::string, std::string>& env, const std::string& dir);
  std::vector<ServiceProcess*> Services();  // without the gateway

  ServiceProcess session, auth, profile, contact, messaging;
  const int http_port;
  ServiceProcess gateway;  // grpc_port() = the public HTTP port; health on its admin port
};

// Registers <name> (email <name>@example.com, password password-<name>; not
// verified) and logs in; failures are test failures. Returns the user id
// and the access token.
std::pair<std::string, std::string> RegisterAndLogin(httplib::Client& client,
                                                     const std::string& name);

struct Friends {
  std::string alice_id, alice_token, bob_id, bob_token;
};
// Registers alice and bob, makes them friends (bob asks, alice accepts) and
// sends `text` from bob to alice through the gateway at `client`, waiting up
// to 20 s each for contact and messaging to learn of the users by their
// events; failures are test failures (`log_dir` has the processes' logs).
Friends BefriendAndSend(httplib::Client& client, const std::string& text,
                        const std::string& log_dir);

}  // namespace messenger::e2e
