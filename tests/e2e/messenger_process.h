// The all-in-one messenger binary as a child process with its own database,
// nats-server, maildir and ports, plus helpers to talk to it.
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "common/bus/nats_bus.h"
#include "common/testing/testing.h"

namespace messenger::e2e {

// MESSENGER_ARGON2_MEMLIMIT_KIB of the systems tests start.
extern const char kTestArgon2MemKib[];

class MessengerProcess {
 public:
  // `env` adds to or overrides the defaults (MESSENGER_* variables); a given
  // MESSENGER_HTTP_ADDR ("127.0.0.1:<port>") fixes the HTTP port.
  static absl::StatusOr<std::unique_ptr<MessengerProcess>> Start(
      std::map<std::string, std::string> env = {});
  ~MessengerProcess();

  int http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  const std::string& mail_dir() const { return mail_dir_; }
  const std::string& log_path() const { return log_path_; }
  testing::NatsServer& nats() { return *nats_; }
  testing::TestDatabase& database() { return *db_; }
  bus::NatsBus& bus() { return *bus_; }

  std::unique_ptr<httplib::Client> Client() const;
  // SIGTERM and wait; returns the exit status.
  int Stop();
  // Starts the binary again on the same ports, database and NATS.
  absl::Status Restart();
  // The newest "Verification-Token:" sent to `email`.
  std::optional<std::string> LatestVerificationToken(const std::string& email) const;

 private:
  absl::Status Launch();

  testing::TempDir dir_{"messenger-e2e"};
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<bus::NatsBus> bus_;
  std::unique_ptr<testing::ChildProcess> process_;
  std::map<std::string, std::string> env_;
  std::string mail_dir_;
  std::string log_path_;
  int http_port_ = 0;
  int grpc_port_ = 0;
};

// One service binary of split mode (or the gateway) with its gRPC and admin
// ports; ready when its admin port answers `ready_path` with 200.
class ServiceProcess {
 public:
  ServiceProcess(std::string name, std::string binary, int grpc_port, int admin_port)
      : name_(std::move(name)), binary_(std::move(binary)), grpc_port_(grpc_port),
        admin_port_(admin_port) {}

  absl::Status Start(std::map<std::string, std::string> env, const std::string& dir,
                     const std::string& ready_path = "/readyz");
  // SIGTERM and wait; returns the exit status.
  int Stop();
  // kill -9 (no shutdown at all).
  void Kill();
  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_port_; }
  const std::string& binary() const { return binary_; }
  const std::string& log_path() const { return log_; }

 private:
  std::string name_, binary_, log_;
  int grpc_port_, admin_port_;
  std::unique_ptr<testing::ChildProcess> process_;
};

// A whole PostgreSQL cluster of its own (initdb as user postgres into a temp
// directory, own port, fsync off), for tests that stop and start PostgreSQL
// without disturbing the shared test cluster.
class PrivatePostgres {
 public:
  static absl::StatusOr<std::unique_ptr<PrivatePostgres>> Start();
  ~PrivatePostgres();
  // libpq DSN of its `postgres` database.
  std::string dsn() const;
  // pg_ctl stop -m fast (clients are disconnected, no crash recovery needed).
  absl::Status Stop();
  absl::Status Restart();

 private:
  absl::Status PgCtl(const std::string& args);
  testing::TempDir dir_{"messenger-pg"};
  int port_ = 0;
  bool running_ = false;
};

// The text of a file, for failure messages.
std::string Dump(const std::string& path);

// A JSON HTTP exchange with the gateway.
struct Reply {
  int status = 0;
  nlohmann::json body;
  httplib::Headers headers;
  std::string raw;
};

Reply Send(httplib::Client& client, const std::string& method, const std::string& path,
           const std::optional<nlohmann::json>& body = std::nullopt,
           const std::string& bearer = "", const httplib::Headers& extra = {});
Reply SendRaw(httplib::Client& client, const std::string& method, const std::string& path,
              const std::string& body, const std::string& bearer = "",
              const httplib::Headers& extra = {});

// A /v1/sync token past the user's own events of `types` (e.g. the setup's
// contact_accepted and its first message). Such rows land in the stream a
// little after the calls that made them return, so a token taken at once may
// be below them and a later poll that should stay quiet would get them. Reads
// from the start of the stream; fails the current test if one never comes.
std::string SyncTokenAfter(httplib::Client& client, const std::string& access_token,
                           std::set<std::string> types,
                           absl::Duration within = absl::Seconds(20));

// A registered, verified and logged-in user.
struct TestUser {
  std::string user_id;
  std::string username;
  std::string email;
  std::string password;
  std::string access_token;
  std::string refresh_token;
  std::string session_id;
};

// Registers `username` (email <username>@example.com), verifies the email from
// the maildir and logs in. Fails the current test on any error.
TestUser CreateUser(MessengerProcess& messenger, httplib::Client& client,
                    const std::string& username);

}  // namespace messenger::e2e
