#include "tests/e2e/split_system.h"

#include <gtest/gtest.h>

#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace messenger::e2e {
namespace {

// Reserved for the life of the test process, so the twelve are distinct and
// stay ours across service restarts.
int Port() { return testing::FreePort(); }
std::string Addr(int port) { return absl::StrCat("127.0.0.1:", port); }

}  // namespace

SplitSystem::SplitSystem()
    : session("session", MESSENGER_SESSION_BINARY, Port(), Port()),
      auth("auth", MESSENGER_AUTH_BINARY, Port(), Port()),
      profile("profile", MESSENGER_PROFILE_BINARY, Port(), Port()),
      contact("contact", MESSENGER_CONTACT_BINARY, Port(), Port()),
      messaging("messaging", MESSENGER_MESSAGING_BINARY, Port(), Port()),
      http_port(Port()),
      gateway("gateway", MESSENGER_GATEWAY_BINARY, http_port, Port()) {}

std::map<std::string, std::string> SplitSystem::Env(const std::string& pg_dsn,
                                                    const std::string& nats_url,
                                                    const std::string& dir) const {
  return {
      {"MESSENGER_PG_DSN", pg_dsn},
      {"MESSENGER_NATS_URL", nats_url},
      {"MESSENGER_MAIL_DIR", dir + "/mail"},
      {"MESSENGER_PG_POOL_SIZE", "2"},
      {"MESSENGER_AUTH_IP_RATE_PER_MIN", "600000"},  // many users from one address
      {"MESSENGER_AUTH_IP_BURST", "100000"},
      // A registration retried through an outage must not meet the
      // per-account limit (the faults test saw 429, then a failed login).
      {"MESSENGER_AUTH_ACCOUNT_BURST", "100000"},
      {"MESSENGER_ARGON2_MEMLIMIT_KIB", kTestArgon2MemKib},
      {"MESSENGER_SESSION_ADDR", Addr(session.grpc_port())},
      {"MESSENGER_SESSION_ADMIN_ADDR", Addr(session.admin_port())},
      {"MESSENGER_AUTH_ADDR", Addr(auth.grpc_port())},
      {"MESSENGER_AUTH_ADMIN_ADDR", Addr(auth.admin_port())},
      {"MESSENGER_PROFILE_ADDR", Addr(profile.grpc_port())},
      {"MESSENGER_PROFILE_ADMIN_ADDR", Addr(profile.admin_port())},
      {"MESSENGER_CONTACT_ADDR", Addr(contact.grpc_port())},
      {"MESSENGER_CONTACT_ADMIN_ADDR", Addr(contact.admin_port())},
      {"MESSENGER_MESSAGING_ADDR", Addr(messaging.grpc_port())},
      {"MESSENGER_MESSAGING_ADMIN_ADDR", Addr(messaging.admin_port())},
      {"MESSENGER_HTTP_ADDR", Addr(http_port)},
      {"MESSENGER_GATEWAY_ADMIN_ADDR", Addr(gateway.admin_port())},
  };
}

std::vector<ServiceProcess*> SplitSystem::Services() {
  return {&session, &auth, &profile, &contact, &messaging};
}

absl::Status SplitSystem::StartAll(const std::map<std::string, std::string>& env,
                                   const std::string& dir) {
  for (ServiceProcess* service : Services()) RETURN_IF_ERROR(service->Start(env, dir));
  return gateway.Start(env, dir, "/healthz");
}

std::pair<std::string, std::string> RegisterAndLogin(httplib::Client& client,
                                                     const std::string& name) {
  Reply r = Send(client, "POST", "/v1/auth/register",
                 nlohmann::json{{"username", name},
                                {"email", name + "@example.com"},
                                {"password", "password-" + name}});
  EXPECT_EQ(r.status, 201) << r.raw;
  Reply login = Send(client, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", name}, {"password", "password-" + name}});
  EXPECT_EQ(login.status, 200) << login.raw;
  return {r.body.value("user_id", ""), login.body.value("access_token", "")};
}

Friends BefriendAndSend(httplib::Client& client, const std::string& text,
                        const std::string& log_dir) {
  Friends f;
  std::tie(f.alice_id, f.alice_token) = RegisterAndLogin(client, "alice");
  std::tie(f.bob_id, f.bob_token) = RegisterAndLogin(client, "bob");
  // contact learns of alice from user.created.
  Reply requested;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        requested = Send(client, "POST", "/v1/contacts/requests",
                         nlohmann::json{{"user_id", f.alice_id}}, f.bob_token);
        return requested.status == 201;
      },
      absl::Seconds(20)))
      << requested.raw << Dump(log_dir + "/contact.log");
  Reply accepted = Send(client, "POST", "/v1/contacts/requests/" + f.bob_id + "/accept",
                        std::nullopt, f.alice_token);
  EXPECT_EQ(accepted.status, 200) << accepted.raw;
  Reply sent;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        sent = Send(client, "POST", "/v1/messages",
                    nlohmann::json{{"to", f.alice_id}, {"text", text}, {"client_msg_id", "p1"}},
                    f.bob_token);
        return sent.status == 201 || sent.status == 200;  // messaging may still learn of them
      },
      absl::Seconds(20)))
      << sent.raw << Dump(log_dir + "/messaging.log");
  return f;
}

}  // namespace messenger::e2e
