// Least privilege in tests: a PostgreSQL role per service on a test database
// (k8s/base/pg-bootstrap.sql, as scripts/run.sh and the k8s migrate Job run
// it) and a nats-server that accepts only the users of
// k8s/base/nats-users.conf, each with a random password.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/testing/testing.h"

namespace messenger::e2e {

class DatabaseRoles {
 public:
  // As the administrator of `db`: role <db name>_<service> owning the schema
  // <service>, for every service. psql's output goes to <dir>/bootstrap.log.
  static absl::StatusOr<std::unique_ptr<DatabaseRoles>> Create(testing::TestDatabase& db,
                                                               const std::string& dir);
  // Drops the roles and everything they own (stop their clients first).
  ~DatabaseRoles();

  std::string Role(const std::string& service) const;
  // libpq DSN of the database as `service`'s role.
  std::string Dsn(const std::string& service) const;

 private:
  DatabaseRoles() = default;
  std::string admin_dsn_;  // of the test database, as its administrator
  std::string prefix_;
  std::map<std::string, std::string> passwords_;
};

class NatsUsers {
 public:
  // Writes <dir>/nats.conf, which includes a copy of nats-users.conf.
  static absl::StatusOr<NatsUsers> Create(const std::string& dir);

  // For testing::NatsServer::Start: the configuration and the passwords.
  testing::NatsServer::Options ServerOptions() const;
  // MESSENGER_NATS_USER and MESSENGER_NATS_PASSWORD of `user`.
  std::map<std::string, std::string> ClientEnv(const std::string& user) const;
  const std::string& Password(const std::string& user) const { return passwords_.at(user); }

 private:
  std::string config_file_;
  std::map<std::string, std::string> passwords_;
};

// A random password: "p" and hex digits.
std::string RandomPassword();

}  // namespace messenger::e2e
