// Accounts and sessions end to end over HTTP against the all-in-one binary.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/pg/pg.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

class IdentityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = absl::Now() - absl::Seconds(1);  // event times are in milliseconds
    auto started = MessengerProcess::Start({{"MESSENGER_LOGIN_MAX_FAILURES", "3"}});
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
  }

  Reply Me(const std::string& token) { return Send(*client_, "GET", "/v1/me", std::nullopt, token); }

  absl::Time start_;
  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(IdentityE2eTest, WalkthroughRegisterVerifyLoginMeRefreshLogout) {
  Reply reg = Send(*client_, "POST", "/v1/auth/register",
                   nlohmann::json{{"username", "alice"}, {"email", "alice@example.com"},
                                  {"password", "correct horse"}});
  ASSERT_EQ(reg.status, 201) << reg.raw;
  EXPECT_EQ(reg.body["username"], "alice");
  EXPECT_EQ(reg.body["email"], "alice@example.com");
  EXPECT_EQ(reg.body["email_verified"], false);
  const std::string user_id = reg.body["user_id"];

  auto token = messenger_->LatestVerificationToken("alice@example.com");
  ASSERT_TRUE(token.has_value());
  Reply verify = Send(*client_, "POST", "/v1/auth/verify-email", nlohmann::json{{"token", *token}});
  ASSERT_EQ(verify.status, 200) << verify.raw;
  EXPECT_EQ(verify.body["email_verified"], true);
  // A used token is refused.
  EXPECT_EQ(Send(*client_, "POST", "/v1/auth/verify-email", nlohmann::json{{"token", *token}}).status,
            400);

  Reply login = Send(*client_, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", "alice@example.com"}, {"password", "correct horse"},
                                    {"device_name", "laptop"}});
  ASSERT_EQ(login.status, 200) << login.raw;
  EXPECT_EQ(login.body["token_type"], "Bearer");
  EXPECT_EQ(login.body["expires_in"], 900);
  EXPECT_EQ(login.body["user_id"], user_id);
  const std::string access = login.body["access_token"];
  const std::string refresh = login.body["refresh_token"];

  // The profile is made by profile-service from user.created, a little
  // after the registration returns.
  Reply me;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        me = Me(access);
        return me.status == 200 && me.body["profile"].is_object();
      },
      absl::Seconds(10)))
      << me.raw;
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body["user_id"], user_id);
  EXPECT_EQ(me.body["username"], "alice");
  EXPECT_EQ(me.body["email_verified"], true);

  Reply refreshed = Send(*client_, "POST", "/v1/auth/refresh",
                         nlohmann::json{{"refresh_token", refresh}});
  ASSERT_EQ(refreshed.status, 200) << refreshed.raw;
  const std::string access2 = refreshed.body["access_token"];
  EXPECT_NE(access2, access);
  EXPECT_EQ(refreshed.body["session_id"], login.body["session_id"]);
  EXPECT_EQ(Me(access2).status, 200);

  Reply logout = Send(*client_, "POST", "/v1/auth/logout", std::nullopt, access2);
  EXPECT_EQ(logout.status, 204) << logout.raw;
  EXPECT_EQ(Me(access2).status, 401);
  EXPECT_EQ(Me(access).status, 401);  // the whole session is gone
  EXPECT_EQ(Send(*client_, "POST", "/v1/auth/refresh",
                 nlohmann::json{{"refresh_token", refreshed.body["refresh_token"]}})
                .status,
            401);
}

TEST_F(IdentityE2eTest, DuplicateUsernameAndEmailAre409) {
  auto body = [](const std::string& u, const std::string& e) {
    return nlohmann::json{{"username", u}, {"email", e}, {"password", "password1"}};
  };
  ASSERT_EQ(Send(*client_, "POST", "/v1/auth/register", body("bob", "bob@example.com")).status, 201);
  Reply name = Send(*client_, "POST", "/v1/auth/register", body("BOB", "other@example.com"));
  EXPECT_EQ(name.status, 409);
  EXPECT_EQ(name.body["error"]["code"], "ALREADY_EXISTS");
  Reply mail = Send(*client_, "POST", "/v1/auth/register", body("bob2", "Bob@Example.com"));
  EXPECT_EQ(mail.status, 409);
  EXPECT_EQ(mail.body["error"]["code"], "ALREADY_EXISTS");
}

TEST_F(IdentityE2eTest, BadInputIsA4xxWithTheErrorBodyNeverA5xx) {
  struct Case {
    std::string method, path, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/auth/register", "{", 400},
      {"POST", "/v1/auth/register", "[1,2]", 400},
      {"POST", "/v1/auth/register", R"({"username": 5, "email": "a@b.cd", "password": "password1"})", 400},
      {"POST", "/v1/auth/register", R"({"username": "carol", "email": "a@b.cd"})", 400},
      {"POST", "/v1/auth/register", R"({"username": "c", "email": "a@b.cd", "password": "password1"})", 400},
      {"POST", "/v1/auth/register", R"({"username": "carol", "email": "nope", "password": "password1"})", 400},
      {"POST", "/v1/auth/register", R"({"username": "carol", "email": "a@b.cd", "password": "short"})", 400},
      {"POST", "/v1/auth/register", "\xff\xfe garbage", 400},
      {"POST", "/v1/auth/login", R"({"login": ["x"], "password": "p"})", 400},
      {"POST", "/v1/auth/login", "", 400},
      {"POST", "/v1/auth/verify-email", R"({"token": null})", 400},
      {"POST", "/v1/auth/verify-email", R"({"token": "nope"})", 400},
      {"POST", "/v1/auth/refresh", R"({"refresh_token": 12})", 400},
      {"POST", "/v1/auth/resend-verification", R"({"email": "not-an-address"})", 400},
      {"GET", "/v1/no-such-route", "", 404},
      {"DELETE", "/v1/auth/login", "", 405},
      {"GET", "/v1/me", "", 401},
      {"GET", "/v1/sessions", "", 401},
  };
  for (const Case& c : cases) {
    Reply r = SendRaw(*client_, c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body << " -> " << r.raw;
    EXPECT_TRUE(r.body.contains("error") && r.body["error"].contains("code") &&
                r.body["error"].contains("message"))
        << r.raw;
  }
  // Over 1 MiB.
  std::string big = R"({"username": ")" + std::string((1 << 20) + 10, 'a') + R"("})";
  Reply r = SendRaw(*client_, "POST", "/v1/auth/register", big);
  EXPECT_EQ(r.status, 413) << r.raw;
  EXPECT_EQ(r.body["error"]["code"], "INVALID_ARGUMENT");
  // The server is still fine.
  EXPECT_EQ(Send(*messenger_->Client(), "GET", "/healthz").status, 200);
}

TEST_F(IdentityE2eTest, WrongPasswordAndUnknownUserLookTheSame) {
  TestUser dave = CreateUser(*messenger_, *client_, "dave");
  Reply wrong = Send(*client_, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", "dave"}, {"password", "not-the-password"}});
  Reply unknown = Send(*client_, "POST", "/v1/auth/login",
                       nlohmann::json{{"login", "nobody"}, {"password", "not-the-password"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
}

TEST_F(IdentityE2eTest, RepeatedFailuresAnswer429ForAWhile) {
  TestUser erin = CreateUser(*messenger_, *client_, "erin");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Send(*client_, "POST", "/v1/auth/login",
                   nlohmann::json{{"login", "erin"}, {"password", "wrong-password"}})
                  .status,
              401);
  }
  Reply locked = Send(*client_, "POST", "/v1/auth/login",
                      nlohmann::json{{"login", "erin"}, {"password", erin.password}});
  EXPECT_EQ(locked.status, 429) << locked.raw;
  EXPECT_EQ(locked.body["error"]["code"], "RESOURCE_EXHAUSTED");
}

TEST_F(IdentityE2eTest, RefreshReuseRevokesTheSession) {
  TestUser frank = CreateUser(*messenger_, *client_, "frank");
  Reply first = Send(*client_, "POST", "/v1/auth/refresh",
                     nlohmann::json{{"refresh_token", frank.refresh_token}});
  ASSERT_EQ(first.status, 200);
  const std::string new_access = first.body["access_token"];
  ASSERT_EQ(Me(new_access).status, 200);  // now cached by the gateway
  Reply reuse = Send(*client_, "POST", "/v1/auth/refresh",
                     nlohmann::json{{"refresh_token", frank.refresh_token}});
  EXPECT_EQ(reuse.status, 401);
  // The session.revoked event reaches the gateway's cache within moments.
  EXPECT_TRUE(testing::WaitUntil([&] { return Me(new_access).status == 401; }, absl::Seconds(5)));
  EXPECT_EQ(Send(*client_, "POST", "/v1/auth/refresh",
                 nlohmann::json{{"refresh_token", first.body["refresh_token"]}})
                .status,
            401);
}

TEST_F(IdentityE2eTest, ListAndRevokeSessions) {
  TestUser gina = CreateUser(*messenger_, *client_, "gina");
  Reply phone = Send(*client_, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", "gina"}, {"password", gina.password},
                                    {"device_name", "phone"}});
  ASSERT_EQ(phone.status, 200);
  const std::string phone_access = phone.body["access_token"];
  const std::string phone_session = phone.body["session_id"];

  Reply list = Send(*client_, "GET", "/v1/sessions", std::nullopt, gina.access_token);
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["sessions"].size(), 2u);
  int current = 0;
  for (const auto& s : list.body["sessions"]) {
    EXPECT_TRUE(s.contains("created_at") && s.contains("last_seen_at") && s.contains("device_name"));
    if (s["current"] == true) {
      ++current;
      EXPECT_EQ(s["session_id"], gina.session_id);
    }
  }
  EXPECT_EQ(current, 1);

  // Another user cannot touch it.
  TestUser hank = CreateUser(*messenger_, *client_, "hank");
  EXPECT_EQ(Send(*client_, "DELETE", "/v1/sessions/" + phone_session, std::nullopt,
                 hank.access_token)
                .status,
            404);
  // A malformed id is the client's mistake: 400 naming the parameter.
  Reply malformed =
      Send(*client_, "DELETE", "/v1/sessions/not-a-uuid", std::nullopt, gina.access_token);
  EXPECT_EQ(malformed.status, 400) << malformed.raw;
  EXPECT_EQ(malformed.body["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_NE(malformed.raw.find("'session_id'"), std::string::npos) << malformed.raw;
  ASSERT_EQ(Me(phone_access).status, 200);
  EXPECT_EQ(Send(*client_, "DELETE", "/v1/sessions/" + phone_session, std::nullopt,
                 gina.access_token)
                .status,
            204);
  EXPECT_EQ(Me(phone_access).status, 401);
  EXPECT_EQ(Me(gina.access_token).status, 200);
  list = Send(*client_, "GET", "/v1/sessions", std::nullopt, gina.access_token);
  EXPECT_EQ(list.body["sessions"].size(), 1u);
}

// Each session ends once, with the reason of how it ended: logout, DELETE
// /v1/sessions/{id} ("revoked") and a reused refresh token ("refresh_reuse").
TEST_F(IdentityE2eTest, EventsArePublishedOnceWithTheEnvelope) {
  TestUser ivy = CreateUser(*messenger_, *client_, "ivy");
  auto login = [&](const std::string& device) {
    Reply r =
        Send(*client_, "POST", "/v1/auth/login",
             nlohmann::json{{"login", "ivy"}, {"password", ivy.password}, {"device_name", device}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r;
  };
  Reply phone = login("phone");
  Reply tablet = login("tablet");
  const std::string phone_session = phone.body.value("session_id", "");
  const std::string tablet_session = tablet.body.value("session_id", "");
  ASSERT_EQ(Send(*client_, "POST", "/v1/auth/logout", std::nullopt, ivy.access_token).status, 204);
  ASSERT_EQ(Send(*client_, "DELETE", "/v1/sessions/" + phone_session, std::nullopt,
                 tablet.body.value("access_token", ""))
                .status,
            204);
  const nlohmann::json refresh = {{"refresh_token", tablet.body.value("refresh_token", "")}};
  ASSERT_EQ(Send(*client_, "POST", "/v1/auth/refresh", refresh).status, 200);
  ASSERT_EQ(Send(*client_, "POST", "/v1/auth/refresh", refresh).status, 401);

  auto by_type = ExpectExactlyOnce(*messenger_,
                                   {{"user.created", 1},
                                    {"user.email_verified", 1},
                                    {"session.created", 3},
                                    {"session.revoked", 3}},
                                   start_);
  ASSERT_EQ(by_type["user.created"].size(), 1u);
  const nlohmann::json created = by_type["user.created"][0].Data();
  EXPECT_EQ(created["user_id"], ivy.user_id);
  EXPECT_EQ(created["username"], "ivy");
  EXPECT_EQ(created["email"], "ivy@example.com");
  ASSERT_EQ(by_type["user.email_verified"].size(), 1u);
  const nlohmann::json verified = by_type["user.email_verified"][0].Data();
  EXPECT_EQ(verified["user_id"], ivy.user_id);
  EXPECT_EQ(verified["email"], "ivy@example.com");
  EXPECT_LE(JsonTime(created["created_at"]), JsonTime(verified["verified_at"]));

  std::map<std::string, std::string> device_of;
  std::map<std::string, absl::Time> created_at_of;
  for (const bus::Event& e : by_type["session.created"]) {
    const nlohmann::json data = e.Data();
    EXPECT_EQ(data["user_id"], ivy.user_id);
    device_of[data["session_id"]] = data["device_name"];
    created_at_of[data["session_id"]] = JsonTime(data["created_at"]);
  }
  EXPECT_EQ(device_of,
            (std::map<std::string, std::string>{
                {ivy.session_id, "e2e"}, {phone_session, "phone"}, {tablet_session, "tablet"}}));
  std::map<std::string, std::string> reason_of;
  for (const bus::Event& e : by_type["session.revoked"]) {
    const nlohmann::json data = e.Data();
    EXPECT_EQ(data["user_id"], ivy.user_id);
    reason_of[data["session_id"]] = data["reason"];
    EXPECT_LE(created_at_of[data["session_id"]], JsonTime(data["revoked_at"]));
  }
  EXPECT_EQ(reason_of, (std::map<std::string, std::string>{{ivy.session_id, "logout"},
                                                           {phone_session, "revoked"},
                                                           {tablet_session, "refresh_reuse"}}));
}

TEST_F(IdentityE2eTest, TraceparentIsEchoedAndProbesAnswer) {
  CreateUser(*messenger_, *client_, "kim");  // some gRPC traffic for the metrics
  Reply r = Send(*client_, "GET", "/healthz", std::nullopt, "",
                 {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  EXPECT_EQ(r.status, 200);
  auto it = r.headers.find("X-Trace-Id");
  ASSERT_NE(it, r.headers.end());
  EXPECT_EQ(it->second, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Send(*client_, "GET", "/readyz").status, 200);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("http_requests_total{"), std::string::npos);
  EXPECT_NE(metrics->body.find("grpc_server_handling_seconds_bucket{"), std::string::npos);
}

TEST_F(IdentityE2eTest, NoPasswordOrTokenInTheDatabaseOrTheLog) {
  TestUser jack = CreateUser(*messenger_, *client_, "jack");
  Reply refreshed = Send(*client_, "POST", "/v1/auth/refresh",
                         nlohmann::json{{"refresh_token", jack.refresh_token}});
  ASSERT_EQ(refreshed.status, 200);
  const std::vector<std::string> secrets = {jack.password, jack.access_token, jack.refresh_token,
                                            refreshed.body["access_token"],
                                            refreshed.body["refresh_token"]};
  // Every row of every table of the services, as text.
  auto pool = pg::Pool::Create({.dsn = messenger_->database().dsn(), .size = 1});
  ASSERT_TRUE(pool.ok());
  static constexpr pg::Query kTables{
      "t_tables",
      "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM "
      "information_schema.tables WHERE table_schema IN ('auth', 'session')"};
  auto tables = (*pool)->Exec(kTables);
  ASSERT_TRUE(tables.ok());
  ASSERT_GT(tables->rows(), 4);
  std::string dump;
  for (int i = 0; i < tables->rows(); ++i) {
    const std::string name = "t_dump_" + std::to_string(i);
    const std::string sql = "SELECT t::text FROM " + tables->GetString(i, 0) + " t";
    auto rows = (*pool)->Exec(pg::Query{name.c_str(), sql.c_str()});
    ASSERT_TRUE(rows.ok()) << rows.status();
    for (int r = 0; r < rows->rows(); ++r) dump += rows->GetString(r, 0) + "\n";
  }
  EXPECT_NE(dump.find(jack.user_id), std::string::npos);  // the dump is real
  std::ifstream log_file(messenger_->log_path());
  std::stringstream log;
  log << log_file.rdbuf();
  EXPECT_NE(log.str().find("/v1/auth/login"), std::string::npos);
  for (const std::string& secret : secrets) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << "in the database";
    EXPECT_EQ(log.str().find(secret), std::string::npos) << "in the log";
  }
}

TEST_F(IdentityE2eTest, SigtermStopsCleanly) {
  EXPECT_EQ(messenger_->Stop(), 0);
}

}  // namespace
}  // namespace messenger::e2e
