// GET /v1/openapi.json serves api/openapi.yaml (public). The traffic check
// (contract_traffic) compares the body with the YAML file itself.
#include <gtest/gtest.h>

#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

TEST(OpenApiServedE2eTest, PublicJsonDocumentOfEveryV1Route) {
  auto messenger = MessengerProcess::Start();
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  auto client = (*messenger)->Client();

  Reply reply = Send(*client, "GET", "/v1/openapi.json");
  ASSERT_EQ(reply.status, 200) << reply.raw;
  EXPECT_EQ(client->Get("/v1/openapi.json")->get_header_value("Content-Type"), "application/json");
  ASSERT_TRUE(reply.body.is_object()) << reply.raw.substr(0, 200);
  EXPECT_EQ(reply.body["openapi"], "3.1.0");
  EXPECT_TRUE(reply.body["paths"].contains("/v1/sync"));
  EXPECT_TRUE(reply.body["paths"].contains("/v1/openapi.json"));
  EXPECT_TRUE(reply.body["components"]["securitySchemes"].contains("bearer"));
  EXPECT_FALSE(reply.headers.find("X-Trace-Id") == reply.headers.end());

  // Public even with a bad token; other methods are 405.
  EXPECT_EQ(Send(*client, "GET", "/v1/openapi.json", std::nullopt, "not-a-token").status, 200);
  EXPECT_EQ(Send(*client, "POST", "/v1/openapi.json", nlohmann::json::object()).status, 405);
}

}  // namespace
}  // namespace messenger::e2e
