// Client input the gateway must refuse with a clear 4xx (never a 5xx), and the
// limits it answers with: every route walked with bad path and query values,
// Retry-After on the send limiter's 429, and the per-user long-poll cap.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

class HardeningE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = MessengerProcess::Start({{"MESSENGER_SEND_RATE_PER_S", "1"},
                                            {"MESSENGER_SEND_BURST", "3"},
                                            {"MESSENGER_SYNC_POLLS_PER_USER", "1"}});
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = started->release();
    client_ = messenger_->Client().release();
    client_->set_read_timeout(40, 0);
    alice_ = new TestUser(CreateUser(*messenger_, *client_, "alice"));
    bob_ = new TestUser(CreateUser(*messenger_, *client_, "bob"));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete bob_;
    delete client_;
    delete messenger_;
  }

  static Reply As(const TestUser& user, const std::string& method, const std::string& path,
                  const std::optional<nlohmann::json>& body = std::nullopt) {
    return Send(*client_, method, path, body, user.access_token);
  }

  // A 400 INVALID_ARGUMENT whose message names `name`.
  static void ExpectNamed(const Reply& r, const std::string& name, const std::string& what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.raw;
    EXPECT_EQ(r.body["error"]["code"], "INVALID_ARGUMENT") << what << ": " << r.raw;
    EXPECT_NE(r.body["error"].value("message", "").find("'" + name + "'"), std::string::npos)
        << what << ": " << r.raw;
  }

  static MessengerProcess* messenger_;
  static httplib::Client* client_;
  static TestUser* alice_;
  static TestUser* bob_;
};

MessengerProcess* HardeningE2eTest::messenger_ = nullptr;
httplib::Client* HardeningE2eTest::client_ = nullptr;
TestUser* HardeningE2eTest::alice_ = nullptr;
TestUser* HardeningE2eTest::bob_ = nullptr;

struct RouteCase {
  std::string method;
  std::string pattern;  // "{name}" is where a path parameter goes
  std::string param;    // "" when the route has none
};

// Every route of api.md.
const std::vector<RouteCase>& Routes() {
  static const std::vector<RouteCase> kRoutes = {
      {"POST", "/v1/auth/register", ""},
      {"POST", "/v1/auth/verify-email", ""},
      {"POST", "/v1/auth/resend-verification", ""},
      {"POST", "/v1/auth/login", ""},
      {"POST", "/v1/auth/refresh", ""},
      {"POST", "/v1/auth/logout", ""},
      {"GET", "/v1/sessions", ""},
      {"DELETE", "/v1/sessions/{name}", "session_id"},
      {"GET", "/v1/me", ""},
      {"GET", "/v1/users/{name}/profile", "user_id"},
      {"PATCH", "/v1/me/profile", ""},
      {"GET", "/v1/users/search", ""},
      {"POST", "/v1/contacts/requests", ""},
      {"GET", "/v1/contacts/requests", ""},
      {"POST", "/v1/contacts/requests/{name}/accept", "user_id"},
      {"POST", "/v1/contacts/requests/{name}/decline", "user_id"},
      {"DELETE", "/v1/contacts/{name}", "user_id"},
      {"GET", "/v1/contacts", ""},
      {"POST", "/v1/contacts/{name}/block", "user_id"},
      {"DELETE", "/v1/contacts/{name}/block", "user_id"},
      {"POST", "/v1/messages", ""},
      {"GET", "/v1/conversations", ""},
      {"POST", "/v1/conversations", ""},
      {"GET", "/v1/conversations/{name}/messages", "id"},
      {"POST", "/v1/conversations/{name}/seen", "id"},
      {"GET", "/v1/sync", ""},
  };
  return kRoutes;
}

std::string Fill(const std::string& pattern, const std::string& value) {
  std::string out = pattern;
  const size_t at = out.find("{name}");
  if (at != std::string::npos) out.replace(at, 6, value);
  return out;
}

TEST_F(HardeningE2eTest, BadPathValuesAre400NamingTheParameter) {
  const std::vector<std::string> bad = {
      "%FF",        "%C3%28",      "%ED%A0%80",  // not UTF-8 (a lone surrogate, too)
      "not-a-uuid", "%C3%A9",      "-1",         "99999999999999999999999",
      "%00",        "a%0Ab",       "%21x",       "%21a%3Ab%FF",
      std::string(4000, 'a')};
  int tried = 0;
  for (const RouteCase& route : Routes()) {
    if (route.param.empty()) continue;
    for (const std::string& value : bad) {
      const std::string path = Fill(route.pattern, value);
      ExpectNamed(As(*alice_, route.method, path), route.param, route.method + " " + path);
      ++tried;
    }
  }
  std::printf("bad path values tried: %d\n", tried);
}

TEST_F(HardeningE2eTest, BadQueryValuesAre400NamingTheParameter) {
  const std::string room = "%21nosuch%3Alocalhost";
  struct QueryCase {
    std::string path;
    std::string param;
    std::vector<std::string> bad;
  };
  const std::vector<std::string> bad_int = {
      "%FF", "x", "-1", "0", "99999999999999999999999", "1e3", "%205", "%2B5", "1.5"};
  const std::vector<QueryCase> cases = {
      {"/v1/users/search", "limit", bad_int},
      {"/v1/users/search", "q", {"%FF", "%01", std::string(300, 'a')}},
      {"/v1/conversations/" + room + "/messages", "limit", bad_int},
      {"/v1/conversations/" + room + "/messages", "before_seq", bad_int},
      {"/v1/sync", "since", {"%FF", "x", "s", "sx", "s-1", "s99999999999999999999999", "42"}},
      {"/v1/sync", "timeout_ms", {"%FF", "x", "-1", "30001", "99999999999999999999999"}},
  };
  int tried = 0;
  for (const QueryCase& c : cases) {
    for (const std::string& value : c.bad) {
      const std::string path = c.path + "?" + c.param + "=" + value;
      ExpectNamed(As(*alice_, "GET", path), c.param, path);
      ++tried;
    }
  }
  // Any parameter of any route must be UTF-8 (path parameters well formed).
  for (const RouteCase& route : Routes()) {
    const std::string well_formed = Fill(route.pattern, route.param == "id" ? room : alice_->user_id);
    const std::string path = well_formed + "?junk=%FF";
    ExpectNamed(As(*alice_, route.method, path), "junk", route.method + " " + path);
    const Reply name = As(*alice_, route.method, well_formed + "?%FF=1");
    EXPECT_EQ(name.status, 400) << route.pattern << ": " << name.raw;
    tried += 2;
  }
  std::printf("bad query values tried: %d\n", tried);
  // Still logged in: nothing above reached a handler.
  EXPECT_EQ(As(*alice_, "GET", "/v1/me").status, 200);
}

TEST_F(HardeningE2eTest, InvalidUtf8InAJsonBodyIs400) {
  const Reply r = SendRaw(*client_, "PATCH", "/v1/me/profile", "{\"bio\": \"a\xff\"}",
                          alice_->access_token);
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(r.body["error"]["code"], "INVALID_ARGUMENT");
}

TEST_F(HardeningE2eTest, SendLimiterAnswers429WithRetryAfter) {
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const int s = As(*alice_, "POST", "/v1/contacts/requests", {{{"user_id", bob_->user_id}}}).status;
        return s == 200 || s == 201;
      },
      absl::Seconds(10)));
  ASSERT_EQ(As(*bob_, "POST", "/v1/contacts/requests/" + alice_->user_id + "/accept").status, 200);
  Reply limited;
  for (int i = 0; i < 10 && limited.status != 429; ++i) {
    limited = As(*alice_, "POST", "/v1/messages",
                 {{{"to", bob_->user_id}, {"text", "hi"}, {"client_msg_id", std::to_string(i)}}});
    ASSERT_TRUE(limited.status == 201 || limited.status == 429) << limited.raw;
  }
  ASSERT_EQ(limited.status, 429) << "the burst of 3 never ran out";
  EXPECT_EQ(limited.body["error"]["code"], "RESOURCE_EXHAUSTED");
  const std::string retry_after = limited.headers.count("Retry-After")
                                      ? limited.headers.find("Retry-After")->second
                                      : "";
  // One message a second: the next token is at most a second away.
  EXPECT_EQ(retry_after, "1") << limited.raw;
}

TEST_F(HardeningE2eTest, ANewerLongPollAnswersTheUsersOldestAtOnce) {
  const Reply first = As(*bob_, "GET", "/v1/sync");
  ASSERT_EQ(first.status, 200) << first.raw;
  const std::string since = first.body["next"];
  const std::string poll = "/v1/sync?timeout_ms=30000&since=" + since;
  // The first poll waits on a connection of its own.
  auto oldest = std::async(std::launch::async, [&] {
    httplib::Client own("127.0.0.1", messenger_->http_port());
    own.set_read_timeout(40, 0);
    const absl::Time start = absl::Now();
    Reply r = Send(own, "GET", poll, std::nullopt, bob_->access_token);
    return std::make_pair(r, absl::Now() - start);
  });
  // Once it is parked, a second poll (another device) pushes it out.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const Reply metrics = Send(*client_, "GET", "/metrics");
        return metrics.raw.find("gateway_sync_polls_waiting 1") != std::string::npos;
      },
      absl::Seconds(10)));
  auto newer = std::async(std::launch::async, [&] {
    httplib::Client own("127.0.0.1", messenger_->http_port());
    own.set_read_timeout(40, 0);
    Reply r = Send(own, "GET", "/v1/sync?timeout_ms=1000&since=" + since, std::nullopt,
                   bob_->access_token);
    return std::make_pair(r, absl::Duration());
  });
  ASSERT_EQ(oldest.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the oldest poll was not answered";
  auto [answer, held] = oldest.get();
  EXPECT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body["next"], since);
  EXPECT_TRUE(answer.body["events"].empty());
  EXPECT_LT(held, absl::Seconds(20));
  ASSERT_EQ(newer.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the newer poll (timeout_ms=1000) was not answered";
  EXPECT_EQ(newer.get().first.status, 200);
}

}  // namespace
}  // namespace messenger::e2e
