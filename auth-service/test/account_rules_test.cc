#include "auth-service/src/domain/account_rules.h"

#include <gtest/gtest.h>

namespace messenger::auth {
namespace {

TEST(Username, NormalizesAndValidates) {
  EXPECT_EQ(*NormalizeUsername("alice"), "alice");
  EXPECT_EQ(*NormalizeUsername("  Alice.B_c-9 "), "alice.b_c-9");
  EXPECT_EQ(*NormalizeUsername("abc"), "abc");
  EXPECT_EQ(*NormalizeUsername(std::string(32, 'a')), std::string(32, 'a'));
  EXPECT_FALSE(NormalizeUsername("ab").ok());
  EXPECT_FALSE(NormalizeUsername(std::string(33, 'a')).ok());
  EXPECT_FALSE(NormalizeUsername("al ice").ok());
  EXPECT_FALSE(NormalizeUsername("alice@x").ok());
  EXPECT_FALSE(NormalizeUsername("al\xc3\xa9").ok());
  EXPECT_EQ(NormalizeUsername("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Email, AcceptsPlainAddresses) {
  EXPECT_EQ(*NormalizeEmail(" Alice@Example.COM "), "Alice@Example.COM");
  EXPECT_TRUE(NormalizeEmail("a.b+tag@sub.example.org").ok());
}

TEST(Email, RejectsMalformedAddresses) {
  for (const char* bad : {"", "alice", "@example.com", "alice@", "alice@example", "a@b@c.de",
                          "alice@.com", "alice@example.", "al ice@example.com",
                          "alice@exa\nmple.com", "<alice@example.com>"}) {
    EXPECT_FALSE(NormalizeEmail(bad).ok()) << bad;
  }
  EXPECT_FALSE(NormalizeEmail(std::string(250, 'a') + "@x.io").ok());
}

TEST(Password, LengthInCharacters) {
  EXPECT_TRUE(ValidatePassword("12345678").ok());
  EXPECT_FALSE(ValidatePassword("1234567").ok());
  // Eight characters of two bytes each.
  EXPECT_TRUE(ValidatePassword("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9").ok());
  EXPECT_FALSE(ValidatePassword("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9").ok());  // 8 bytes, 4 chars
  EXPECT_FALSE(ValidatePassword(std::string(1025, 'x')).ok());
  EXPECT_FALSE(ValidatePassword("\xff\xff\xff\xff\xff\xff\xff\xff").ok());
}

TEST(Login, EmailOrUsername) {
  EXPECT_TRUE(LoginIsEmail("a@b.c"));
  EXPECT_FALSE(LoginIsEmail("alice"));
}

class LockoutTest : public ::testing::Test {
 protected:
  const absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
  const LockoutPolicy policy_{.max_failures = 3, .window = absl::Minutes(10),
                              .lockout = absl::Minutes(5)};
};

TEST_F(LockoutTest, LocksAtTheLimitInsideTheWindow) {
  std::optional<FailureRecord> r;
  r = RecordFailure(r, t0_, policy_);
  EXPECT_EQ(r->failures, 1);
  EXPECT_FALSE(IsLockedOut(r, t0_));
  r = RecordFailure(r, t0_ + absl::Minutes(1), policy_);
  EXPECT_FALSE(IsLockedOut(r, t0_ + absl::Minutes(1)));
  r = RecordFailure(r, t0_ + absl::Minutes(2), policy_);
  EXPECT_EQ(r->failures, 3);
  EXPECT_TRUE(IsLockedOut(r, t0_ + absl::Minutes(2)));
  EXPECT_TRUE(IsLockedOut(r, t0_ + absl::Minutes(7) - absl::Seconds(1)));
  EXPECT_FALSE(IsLockedOut(r, t0_ + absl::Minutes(7)));
}

TEST_F(LockoutTest, FailuresSpreadOverWindowsNeverLock) {
  std::optional<FailureRecord> r;
  r = RecordFailure(r, t0_, policy_);
  r = RecordFailure(r, t0_ + absl::Minutes(5), policy_);
  r = RecordFailure(r, t0_ + absl::Minutes(10), policy_);  // window ran out: restarts
  EXPECT_EQ(r->failures, 1);
  EXPECT_EQ(r->window_start, t0_ + absl::Minutes(10));
  EXPECT_FALSE(IsLockedOut(r, t0_ + absl::Minutes(10)));
}

TEST_F(LockoutTest, FailureWhileLockedChangesNothing) {
  FailureRecord locked{t0_, 3, t0_ + absl::Minutes(5)};
  FailureRecord after = RecordFailure(locked, t0_ + absl::Minutes(1), policy_);
  EXPECT_EQ(after.failures, 3);
  EXPECT_EQ(after.locked_until, locked.locked_until);
}

TEST_F(LockoutTest, FailureAfterLockoutStartsAFreshWindow) {
  FailureRecord locked{t0_, 3, t0_ + absl::Minutes(5)};
  FailureRecord after = RecordFailure(locked, t0_ + absl::Minutes(6), policy_);
  EXPECT_EQ(after.failures, 1);
  EXPECT_FALSE(after.locked_until.has_value());
}

TEST_F(LockoutTest, NoRecordIsNotLocked) { EXPECT_FALSE(IsLockedOut(std::nullopt, t0_)); }

}  // namespace
}  // namespace messenger::auth
