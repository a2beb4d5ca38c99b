#include "gateway/src/router.h"

#include <gtest/gtest.h>

namespace messenger::gateway {
namespace {

TEST(Router, MatchesLiteralAndParameterisedPaths) {
  Router<int> router;
  router.Add("GET", "/v1/sessions", 1);
  router.Add("DELETE", "/v1/sessions/{session_id}", 2);
  router.Add("POST", "/v1/contacts/requests/{user_id}/accept", 3);

  auto list = router.Find("GET", "/v1/sessions");
  ASSERT_NE(list.handler, nullptr);
  EXPECT_EQ(*list.handler, 1);

  auto del = router.Find("DELETE", "/v1/sessions/abc");
  ASSERT_NE(del.handler, nullptr);
  EXPECT_EQ(*del.handler, 2);
  EXPECT_EQ(del.params["session_id"], "abc");
  EXPECT_EQ(del.pattern, "/v1/sessions/{session_id}");

  auto accept = router.Find("POST", "/v1/contacts/requests/u1/accept");
  ASSERT_NE(accept.handler, nullptr);
  EXPECT_EQ(accept.params["user_id"], "u1");
}

TEST(Router, UnknownPathAndWrongMethodAreTold) {
  Router<int> router;
  router.Add("GET", "/v1/me", 1);
  auto unknown = router.Find("GET", "/v1/nope");
  EXPECT_EQ(unknown.handler, nullptr);
  EXPECT_FALSE(unknown.path_known);
  auto wrong = router.Find("POST", "/v1/me");
  EXPECT_EQ(wrong.handler, nullptr);
  EXPECT_TRUE(wrong.path_known);
  EXPECT_EQ(wrong.allowed, std::vector<std::string>{"GET"});
  EXPECT_EQ(router.Find("GET", "/v1/me/extra").handler, nullptr);
  EXPECT_NE(router.Find("GET", "/v1/me/").handler, nullptr);  // trailing slash is harmless
}

}  // namespace
}  // namespace messenger::gateway
