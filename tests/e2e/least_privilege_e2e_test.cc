// Split mode with least privilege: every service migrates (MESSENGER_MIGRATE_ONLY)
// and runs as its own PostgreSQL role and NATS user. After register, login,
// befriend and send over the gateway, the real credentials prove that one
// service cannot read another's schema nor publish another's subjects, and
// the event audit that nothing was lost or doubled.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config.h"
#include "common/pg/pg.h"
#include "common/status.h"
#include "tests/e2e/credentials.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

// A statement as `service`'s role; the status PostgreSQL gave.
absl::Status QueryAs(const DatabaseRoles& roles, const std::string& service, const char* sql) {
  auto pool = pg::Pool::Create({.dsn = roles.Dsn(service), .size = 1, .schema = service});
  if (!pool.ok()) return pool.status();
  return (*pool)->Exec(pg::Query{"probe", sql}).status();
}

absl::StatusOr<std::unique_ptr<bus::NatsBus>> ConnectAs(const NatsUsers& users,
                                                        const std::string& url,
                                                        const std::string& user) {
  ASSIGN_OR_RETURN(auto bus, bus::NatsBus::Connect({.url = url,
                                                    .name = "probe-" + user,
                                                    .request_timeout = absl::Seconds(2),
                                                    .user = user,
                                                    .password = users.Password(user)}));
  if (!testing::WaitUntil([&] { return bus->connected(); }, absl::Seconds(10))) {
    return absl::UnavailableError("cannot connect to NATS as " + user);
  }
  return bus;
}

// The permissions violation the server reported to `bus` for `subject`.
bool SawPublishViolation(bus::NatsBus& bus, const std::string& subject) {
  return testing::WaitUntil(
      [&] {
        const char* text = nullptr;
        natsConnection_GetLastError(bus.connection(), &text);
        return text != nullptr &&
               std::string(text).find("Permissions Violation for Publish to \"" + subject) !=
                   std::string::npos;
      },
      absl::Seconds(10), absl::Milliseconds(20));
}

bus::Event ProbeEvent(const std::string& type, const std::string& source) {
  return {.id = absl::StrCat("00000000-0000-7000-8000-", RandomPassword().substr(1, 12)),
          .type = type,
          .source = source,
          .time = absl::Now(),
          .data = "{}"};
}

TEST(LeastPrivilegeE2eTest, EachServiceRunsAsItsOwnRoleAndNatsUser) {
  const absl::Time started = absl::Now();
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  testing::TempDir dir("messenger-privilege");
  auto roles = DatabaseRoles::Create(**db, dir.path());
  ASSERT_TRUE(roles.ok()) << roles.status() << Dump(dir.path() + "/bootstrap-auth.log");
  auto users = NatsUsers::Create(dir.path());
  ASSERT_TRUE(users.ok()) << users.status();
  auto nats = testing::NatsServer::Start(users->ServerOptions());
  ASSERT_TRUE(nats.ok()) << nats.status();

  SplitSystem split;
  std::map<std::string, std::string> env = split.Env("", (*nats)->url(), dir.path());
  env.erase("MESSENGER_PG_DSN");  // each gets its own below; the gateway none
  const std::map<std::string, ServiceProcess*> services = {
      {"session", &split.session}, {"auth", &split.auth}, {"profile", &split.profile},
      {"contact", &split.contact}, {"messaging", &split.messaging}};
  auto env_of = [&](const std::string& service) {
    std::map<std::string, std::string> own = env;
    own["MESSENGER_PG_DSN"] = (*roles)->Dsn(service);
    for (auto& [key, value] : users->ClientEnv(service)) own[key] = value;
    return own;
  };

  // 1. Migrations as a step of their own, as each service's role; NATS is not
  // needed for it (this address has no server).
  for (const std::string& service : ServiceNames()) {
    std::map<std::string, std::string> migrate = env_of(service);
    migrate["MESSENGER_MIGRATE_ONLY"] = "1";
    migrate["MESSENGER_NATS_URL"] = absl::StrCat("nats://127.0.0.1:", testing::FreePort());
    const std::string log = dir.path() + "/migrate-" + service + ".log";
    auto child = testing::ChildProcess::Start({services.at(service)->binary()}, migrate, log);
    ASSERT_TRUE(child.ok()) << child.status();
    ASSERT_TRUE(testing::WaitUntil([&] { return !(*child)->Running(); }, absl::Seconds(60)))
        << service << " --migrate-only did not exit\n" << Dump(log);
    EXPECT_EQ((*child)->Stop(SIGKILL, absl::Seconds(1)), 0) << Dump(log);
    EXPECT_TRUE(QueryAs(**roles, service, "SELECT 1 FROM schema_migrations LIMIT 1").ok())
        << service;
  }

  // 2. The whole system, each part with its own credentials.
  for (const std::string& service : ServiceNames()) {
    ASSERT_TRUE(services.at(service)->Start(env_of(service), dir.path()).ok())
        << Dump(dir.path() + "/" + service + ".log");
  }
  std::map<std::string, std::string> gateway_env = env;
  for (auto& [key, value] : users->ClientEnv("gateway")) gateway_env[key] = value;
  ASSERT_TRUE(split.gateway.Start(gateway_env, dir.path(), "/readyz").ok())
      << Dump(dir.path() + "/gateway.log");

  httplib::Client client("127.0.0.1", split.http_port);
  client.set_read_timeout(10, 0);
  const Friends friends = BefriendAndSend(client, "least privilege", dir.path());
  if (::testing::Test::HasFailure()) return;  // the checks below need the message
  // Typing goes out on messenger.typing (messaging's own NATS subject).
  const Reply conversations = Send(client, "GET", "/v1/conversations", std::nullopt, friends.bob_token);
  ASSERT_EQ(conversations.status, 200) << conversations.raw;
  ASSERT_EQ(conversations.body["conversations"].size(), 1u) << conversations.raw;
  const std::string conversation_id = conversations.body["conversations"][0]["conversation_id"];
  Reply typing = Send(client, "PUT", "/v1/conversations/" + conversation_id + "/typing",
                      nlohmann::json{{"typing", true}}, friends.bob_token);
  ASSERT_EQ(typing.status, 204) << typing.raw;

  // 3. Nothing lost or doubled (read with the operators' NATS user and the
  // database administrator, who may see every outbox).
  auto admin_bus = ConnectAs(*users, (*nats)->url(), "admin");
  ASSERT_TRUE(admin_bus.ok()) << admin_bus.status();
  EventAudit audit = AuditEvents(**admin_bus, (*db)->dsn(),
                                 {{"user.created", 2},
                                  {"session.created", 2},
                                  {"friendship.created", 1},
                                  {"friendship.accepted", 1},
                                  {"message.sent", 1}},
                                 {.not_before = started});
  EXPECT_TRUE(audit.problems.empty()) << absl::StrJoin(audit.problems, "\n");

  // 4. PostgreSQL: a role reads its own schema and no other; nobody but
  // messaging reads the signing key.
  EXPECT_TRUE(QueryAs(**roles, "messaging", "SELECT seed FROM messaging.server_keys").ok());
  EXPECT_TRUE(QueryAs(**roles, "contact", "SELECT count(*) FROM contact.schema_migrations").ok());
  for (const char* service : {"session", "auth", "profile", "contact"}) {
    absl::Status key = QueryAs(**roles, service, "SELECT seed FROM messaging.server_keys");
    EXPECT_EQ(pg::SqlState(key), "42501") << service << ": " << key;  // insufficient_privilege
  }
  absl::Status other = QueryAs(**roles, "contact", "SELECT * FROM auth.schema_migrations");
  EXPECT_EQ(pg::SqlState(other), "42501") << other;
  absl::Status create = QueryAs(**roles, "contact", "CREATE SCHEMA contact_extra");
  EXPECT_EQ(pg::SqlState(create), "42501") << create;

  // Every part did its work within its rights: nats-server logged no
  // violation (a refused subscription would silently starve a consumer).
  {
    const std::string nats_log = Dump((*nats)->log_path());
    EXPECT_EQ(nats_log.find("Violation"), std::string::npos) << nats_log;
  }

  // 5. NATS: profile may not publish messaging's or contact's subjects;
  // messaging may publish its own.
  auto profile_bus = ConnectAs(*users, (*nats)->url(), "profile");
  ASSERT_TRUE(profile_bus.ok()) << profile_bus.status();
  for (const char* subject : {"message.sent", "friendship.created"}) {
    EXPECT_FALSE((*profile_bus)->Publish(ProbeEvent(subject, "profile")).ok()) << subject;
    EXPECT_TRUE(SawPublishViolation(**profile_bus, subject)) << subject;
  }
  auto messaging_bus = ConnectAs(*users, (*nats)->url(), "messaging");
  ASSERT_TRUE(messaging_bus.ok()) << messaging_bus.status();
  EXPECT_TRUE((*messaging_bus)->Publish(ProbeEvent("message.sent", "messaging")).ok());
  const char* error = nullptr;
  natsConnection_GetLastError((*messaging_bus)->connection(), &error);
  EXPECT_TRUE(error == nullptr || std::string(error).find("Permissions") == std::string::npos)
      << error;

  for (ServiceProcess* s : {&split.gateway, &split.messaging, &split.contact, &split.profile,
                            &split.auth, &split.session}) {
    EXPECT_EQ(s->Stop(), 0);
  }
}

}  // namespace
}  // namespace messenger::e2e
