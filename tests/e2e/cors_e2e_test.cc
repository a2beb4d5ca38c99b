// CORS on the public API: a browser app on an allowed origin passes its
// preflight and reads answers (errors included); any other origin gets no
// Access-Control-* header at all; "*" never comes with credentials.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

constexpr char kApp[] = "http://app.example.test:8000";
constexpr char kOther[] = "http://evil.example.test";

bool HasCorsHeader(const httplib::Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name.rfind("Access-Control-", 0) == 0) return true;
  }
  return false;
}

std::string HeaderOf(const httplib::Headers& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

httplib::Result Preflight(httplib::Client& client, const std::string& path,
                          const std::string& origin, const std::string& method) {
  return client.Options(path, {{"Origin", origin},
                               {"Access-Control-Request-Method", method},
                               {"Access-Control-Request-Headers", "authorization,content-type"}});
}

class CorsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = MessengerProcess::Start(
        {{"MESSENGER_CORS_ORIGINS", std::string(kApp) + ", https://other-app.example.test"}});
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = started->release();
    client_ = messenger_->Client().release();
    alice_ = new TestUser(CreateUser(*messenger_, *client_, "alice"));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete client_;
    delete messenger_;
  }

  static MessengerProcess* messenger_;
  static httplib::Client* client_;
  static TestUser* alice_;
};

MessengerProcess* CorsE2eTest::messenger_ = nullptr;
httplib::Client* CorsE2eTest::client_ = nullptr;
TestUser* CorsE2eTest::alice_ = nullptr;

TEST_F(CorsE2eTest, PreflightFromAllowedOriginIsAnswered) {
  auto r = Preflight(*client_, "/v1/messages", kApp, "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(HeaderOf(r->headers, "Access-Control-Allow-Origin"), kApp);
  EXPECT_NE(HeaderOf(r->headers, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  const std::string allowed_headers = HeaderOf(r->headers, "Access-Control-Allow-Headers");
  EXPECT_NE(allowed_headers.find("Authorization"), std::string::npos) << allowed_headers;
  EXPECT_NE(allowed_headers.find("Content-Type"), std::string::npos) << allowed_headers;
  EXPECT_FALSE(HeaderOf(r->headers, "Access-Control-Max-Age").empty());
  EXPECT_EQ(HeaderOf(r->headers, "Vary"), "Origin");
  EXPECT_EQ(HeaderOf(r->headers, "Access-Control-Allow-Credentials"), "");

  // A path with parameters, and the origin matched without regard to case.
  auto seen = Preflight(*client_, "/v1/sessions/00000000-0000-0000-0000-000000000000",
                        "HTTP://APP.example.test:8000", "DELETE");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->status, 204) << seen->body;
  EXPECT_NE(HeaderOf(seen->headers, "Access-Control-Allow-Methods").find("DELETE"),
            std::string::npos);
}

TEST_F(CorsE2eTest, PreflightFromOtherOriginCarriesNoCorsHeaders) {
  auto r = Preflight(*client_, "/v1/messages", kOther, "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_FALSE(HasCorsHeader(r->headers));
  // An origin that merely starts like an allowed one.
  auto prefix = Preflight(*client_, "/v1/messages", std::string(kApp) + "0", "POST");
  ASSERT_TRUE(prefix);
  EXPECT_FALSE(HasCorsHeader(prefix->headers));
}

TEST_F(CorsE2eTest, ActualRequestsExposeHeadersToAllowedOriginOnly) {
  auto ok = client_->Get("/v1/conversations", {{"Origin", kApp},
                                               {"Authorization", "Bearer " + alice_->access_token}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(HeaderOf(ok->headers, "Access-Control-Allow-Origin"), kApp);
  const std::string exposed = HeaderOf(ok->headers, "Access-Control-Expose-Headers");
  for (const char* name : {"ETag", "Retry-After", "X-Trace-Id"}) {
    EXPECT_NE(exposed.find(name), std::string::npos) << exposed;
  }
  EXPECT_EQ(HeaderOf(ok->headers, "Access-Control-Allow-Credentials"), "");

  // The app must be able to read errors too.
  auto unauthenticated = client_->Get("/v1/conversations", {{"Origin", kApp}});
  ASSERT_TRUE(unauthenticated);
  EXPECT_EQ(unauthenticated->status, 401);
  EXPECT_EQ(HeaderOf(unauthenticated->headers, "Access-Control-Allow-Origin"), kApp);

  auto other = client_->Get("/v1/conversations", {{"Origin", kOther},
                                                  {"Authorization", "Bearer " + alice_->access_token}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_FALSE(HasCorsHeader(other->headers));

  // Same-origin requests (no Origin) are untouched.
  auto plain = client_->Get("/v1/conversations", {{"Authorization", "Bearer " + alice_->access_token}});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(HasCorsHeader(plain->headers));
}

TEST_F(CorsE2eTest, OptionsWithoutPreflightHeadersIsStillNotAllowed) {
  auto r = client_->Options("/v1/messages", httplib::Headers{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST(CorsWildcardE2eTest, AnyOriginWithoutCredentials) {
  auto started = MessengerProcess::Start({{"MESSENGER_CORS_ORIGINS", "*"}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  auto r = Preflight(*client, "/v1/auth/login", kOther, "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(HeaderOf(r->headers, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(HeaderOf(r->headers, "Access-Control-Allow-Credentials"), "");
  auto login = client->Post("/v1/auth/login", {{"Origin", kOther}}, "{}", "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 400);
  EXPECT_EQ(HeaderOf(login->headers, "Access-Control-Allow-Origin"), "*");
}

TEST(CorsConfigE2eTest, MalformedOriginListRefusesToStart) {
  auto started = MessengerProcess::Start({{"MESSENGER_CORS_ORIGINS", "app.example.test/path"}});
  EXPECT_FALSE(started.ok());
}

}  // namespace
}  // namespace messenger::e2e
