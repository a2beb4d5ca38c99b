#include "gateway/src/auth/bearer_auth.h"

#include <gtest/gtest.h>

#include <map>

namespace messenger::gateway {
namespace {

class FakeValidator final : public SessionValidator {
 public:
  absl::StatusOr<Principal> Validate(std::string_view token) override {
    ++calls;
    auto it = tokens.find(std::string(token));
    if (it == tokens.end()) return absl::UnauthenticatedError("invalid");
    return it->second;
  }
  std::map<std::string, Principal> tokens;
  int calls = 0;
};

class BearerAuthTest : public ::testing::Test {
 protected:
  BearerAuthTest() { validator_.tokens["tok"] = {"u1", "s1"}; }
  FakeValidator validator_;
  FakeClock clock_;
  BearerAuth auth_{validator_, absl::Seconds(10), clock_};
};

TEST_F(BearerAuthTest, CachesWithinTheTtl) {
  EXPECT_EQ(auth_.Authenticate("Bearer tok")->user_id, "u1");
  EXPECT_EQ(auth_.Authenticate("bearer tok")->session_id, "s1");
  EXPECT_EQ(validator_.calls, 1);
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(auth_.Authenticate("Bearer tok").ok());
  EXPECT_EQ(validator_.calls, 2);
}

TEST_F(BearerAuthTest, RejectsMalformedHeaders) {
  for (const char* header : {"", "Bearer", "Bearer ", "Basic dG9r", "tok", "Bearer nope"}) {
    EXPECT_EQ(auth_.Authenticate(header).status().code(), absl::StatusCode::kUnauthenticated)
        << header;
  }
}

TEST_F(BearerAuthTest, RevocationEventEvictsAndBlocksLateInserts) {
  ASSERT_TRUE(auth_.Authenticate("Bearer tok").ok());
  auth_.OnSessionRevokedEvent(
      R"({"id":"e","type":"session.revoked","source":"session","time":"2026-01-01T00:00:00Z",)"
      R"("data":{"session_id":"s1","user_id":"u1","reason":"logout"}})");
  EXPECT_EQ(auth_.cached(), 0u);
  // The validator still says yes (e.g. an answer from before the revocation):
  // the gateway refuses anyway until the cache TTL has passed.
  EXPECT_EQ(auth_.Authenticate("Bearer tok").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(BearerAuthTest, MalformedEventsAreIgnored) {
  ASSERT_TRUE(auth_.Authenticate("Bearer tok").ok());
  auth_.OnSessionRevokedEvent("garbage");
  auth_.OnSessionRevokedEvent(R"({"id":"e","type":"t","source":"s","time":"2026-01-01T00:00:00Z","data":{}})");
  EXPECT_EQ(auth_.cached(), 1u);
}

TEST_F(BearerAuthTest, UnavailableValidatorIsNotAnAuthFailure) {
  class Down final : public SessionValidator {
    absl::StatusOr<Principal> Validate(std::string_view) override {
      return absl::UnavailableError("session service down");
    }
  } down;
  BearerAuth auth(down, absl::Seconds(10), clock_);
  EXPECT_EQ(auth.Authenticate("Bearer tok").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(BearerAuthTest, EntriesNeverOutliveTheToken) {
  // The token expires in 3 s, well within the 10 s cache TTL.
  validator_.tokens["short"] = {"u2", "s2", clock_.Now() + absl::Seconds(3)};
  ASSERT_TRUE(auth_.Authenticate("Bearer short").ok());
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(auth_.Authenticate("Bearer short").ok());
  EXPECT_EQ(validator_.calls, 1);
  // Past expires_at the cache no longer answers; the validator is asked (and
  // a stale "valid" from it is refused too).
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(auth_.Authenticate("Bearer short").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(validator_.calls, 2);
}

TEST_F(BearerAuthTest, DropAllForgetsEveryToken) {
  // E.g. the NATS connection came back: revocations may have been missed.
  ASSERT_TRUE(auth_.Authenticate("Bearer tok").ok());
  validator_.tokens.erase("tok");  // revoked meanwhile, broadcast lost
  ASSERT_TRUE(auth_.Authenticate("Bearer tok").ok());  // still cached
  auth_.DropAll();
  EXPECT_EQ(auth_.cached(), 0u);
  EXPECT_EQ(auth_.Authenticate("Bearer tok").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(BearerAuthTest, CacheIsBounded) {
  BearerAuth small(validator_, absl::Seconds(10), clock_, /*max_entries=*/4);
  for (int i = 0; i < 20; ++i) {
    const std::string token = "t" + std::to_string(i);
    validator_.tokens[token] = {"u", "s" + std::to_string(i)};
    ASSERT_TRUE(small.Authenticate("Bearer " + token).ok());
  }
  EXPECT_EQ(small.cached(), 4u);
}

}  // namespace
}  // namespace messenger::gateway
