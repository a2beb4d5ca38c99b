#include "tests/e2e/credentials.h"

#include <csignal>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/pg/pg.h"
#include "common/status.h"

namespace messenger::e2e {
namespace {

constexpr char kBootstrapSql[] = MESSENGER_SOURCE_DIR "/k8s/base/pg-bootstrap.sql";
constexpr char kNatsUsers[] = MESSENGER_SOURCE_DIR "/k8s/base/nats-users.conf";
const char* const kNatsUserNames[] = {"gateway", "auth",      "session",  "profile",
                                      "contact", "messaging", "messenger", "admin"};

absl::Status RunToEnd(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, const std::string& log) {
  ASSIGN_OR_RETURN(auto child, testing::ChildProcess::Start(argv, env, log));
  if (!testing::WaitUntil([&] { return !child->Running(); }, absl::Seconds(30),
                          absl::Milliseconds(20))) {
    return absl::DeadlineExceededError(argv[0] + " did not finish; see " + log);
  }
  const int status = child->Stop(SIGKILL, absl::Seconds(1));
  if (status != 0) return absl::InternalError(absl::StrCat(argv[0], " failed; see ", log));
  return absl::OkStatus();
}

}  // namespace

// A letter first: nats-server reads a password variable as a configuration
// value, and one like 4e6… would be a number.
std::string RandomPassword() { return "p" + HexEncode(SecureRng::Instance().Bytes(16)); }

absl::StatusOr<std::unique_ptr<DatabaseRoles>> DatabaseRoles::Create(testing::TestDatabase& db,
                                                                     const std::string& dir) {
  std::unique_ptr<DatabaseRoles> roles(new DatabaseRoles());
  roles->admin_dsn_ = db.dsn();
  roles->prefix_ = db.name() + "_";
  for (const std::string& service : ServiceNames()) {
    const std::string password = RandomPassword();
    roles->passwords_[service] = password;
    RETURN_IF_ERROR(RunToEnd({"psql", "-X", "-d", roles->admin_dsn_, "-v",
                              "role=" + roles->Role(service), "-v", "schema=" + service, "-f",
                              kBootstrapSql},
                             {{"ROLE_PASSWORD", password}},
                             absl::StrCat(dir, "/bootstrap-", service, ".log")));
  }
  return roles;
}

DatabaseRoles::~DatabaseRoles() {
  auto pool = pg::Pool::Create({.dsn = admin_dsn_, .size = 1});
  if (!pool.ok()) return;
  for (const auto& [service, password] : passwords_) {
    (void)(*pool)->WithConnection([&](pg::Conn& conn) {
      const std::string role = Role(service);
      return conn.ExecScript(absl::StrCat("DROP OWNED BY \"", role, "\" CASCADE; DROP ROLE \"",
                                          role, "\""));
    });
  }
}

std::string DatabaseRoles::Role(const std::string& service) const { return prefix_ + service; }

std::string DatabaseRoles::Dsn(const std::string& service) const {
  // libpq takes the last value of a repeated keyword.
  return absl::StrCat(admin_dsn_, " user=", Role(service), " password=", passwords_.at(service));
}

absl::StatusOr<NatsUsers> NatsUsers::Create(const std::string& dir) {
  NatsUsers users;
  std::error_code ec;
  std::filesystem::copy_file(kNatsUsers, dir + "/nats-users.conf",
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return absl::InternalError("copying nats-users.conf: " + ec.message());
  users.config_file_ = dir + "/nats.conf";
  std::ofstream(users.config_file_) << "include ./nats-users.conf\n";
  for (const char* user : kNatsUserNames) users.passwords_[user] = RandomPassword();
  return users;
}

testing::NatsServer::Options NatsUsers::ServerOptions() const {
  testing::NatsServer::Options options{.config_file = config_file_};
  for (const auto& [user, password] : passwords_) {
    options.env["NATS_PASSWORD_" + absl::AsciiStrToUpper(user)] = password;
  }
  return options;
}

std::map<std::string, std::string> NatsUsers::ClientEnv(const std::string& user) const {
  return {{"MESSENGER_NATS_USER", user}, {"MESSENGER_NATS_PASSWORD", Password(user)}};
}

}  // namespace messenger::e2e
