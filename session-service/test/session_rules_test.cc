#include "session-service/src/domain/session_rules.h"

#include <gtest/gtest.h>

namespace messenger::session {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TokenState Refresh(absl::Duration expires_in, std::optional<absl::Time> used = std::nullopt,
                   std::optional<absl::Time> revoked = std::nullopt) {
  return {TokenKind::kRefresh, kNow + expires_in, used, revoked};
}

TEST(JudgeRefresh, FreshTokenRotates) {
  EXPECT_EQ(JudgeRefresh(Refresh(absl::Hours(1)), kNow), RefreshVerdict::kRotate);
}

TEST(JudgeRefresh, UsedTokenIsReuse) {
  EXPECT_EQ(JudgeRefresh(Refresh(absl::Hours(1), kNow - absl::Minutes(1)), kNow),
            RefreshVerdict::kReuse);
}

TEST(JudgeRefresh, ExpiredTokenIsExpiredEvenIfUsed) {
  EXPECT_EQ(JudgeRefresh(Refresh(-absl::Seconds(1)), kNow), RefreshVerdict::kExpired);
  EXPECT_EQ(JudgeRefresh(Refresh(absl::ZeroDuration()), kNow), RefreshVerdict::kExpired);
  EXPECT_EQ(JudgeRefresh(Refresh(-absl::Seconds(1), kNow - absl::Hours(1)), kNow),
            RefreshVerdict::kExpired);
}

TEST(JudgeRefresh, RevokedSessionWinsOverEverything) {
  EXPECT_EQ(JudgeRefresh(Refresh(absl::Hours(1), kNow, kNow), kNow), RefreshVerdict::kRevoked);
  EXPECT_EQ(JudgeRefresh(Refresh(absl::Hours(1), std::nullopt, kNow), kNow),
            RefreshVerdict::kRevoked);
}

TEST(JudgeRefresh, AccessTokenCannotRefresh) {
  TokenState access{TokenKind::kAccess, kNow + absl::Hours(1), std::nullopt, std::nullopt};
  EXPECT_EQ(JudgeRefresh(access, kNow), RefreshVerdict::kWrongKind);
}

TEST(JudgeAccess, Verdicts) {
  TokenState access{TokenKind::kAccess, kNow + absl::Minutes(15), std::nullopt, std::nullopt};
  EXPECT_EQ(JudgeAccess(access, kNow), AccessVerdict::kValid);
  EXPECT_EQ(JudgeAccess(access, kNow + absl::Minutes(15)), AccessVerdict::kExpired);
  access.session_revoked_at = kNow;
  EXPECT_EQ(JudgeAccess(access, kNow), AccessVerdict::kRevoked);
  EXPECT_EQ(JudgeAccess(Refresh(absl::Hours(1)), kNow), AccessVerdict::kWrongKind);
}

TEST(LastSeen, WrittenAtMostOncePerMinute) {
  EXPECT_FALSE(LastSeenIsStale(kNow - absl::Seconds(59), kNow));
  EXPECT_TRUE(LastSeenIsStale(kNow - absl::Seconds(60), kNow));
}

TEST(DeviceName, TrimsDefaultsAndValidates) {
  EXPECT_EQ(*NormalizeDeviceName("  Pixel 9  "), "Pixel 9");
  EXPECT_EQ(*NormalizeDeviceName(""), "unknown device");
  EXPECT_EQ(*NormalizeDeviceName(std::string(64, 'x')), std::string(64, 'x'));
  EXPECT_FALSE(NormalizeDeviceName(std::string(65, 'x')).ok());
  EXPECT_FALSE(NormalizeDeviceName("bad\nname").ok());
  EXPECT_FALSE(NormalizeDeviceName("\xff\xfe").ok());
}

TEST(RevokeReason, NamesMatchTheEventContract) {
  EXPECT_EQ(RevokeReasonName(RevokeReason::kLogout), "logout");
  EXPECT_EQ(RevokeReasonName(RevokeReason::kRevoked), "revoked");
  EXPECT_EQ(RevokeReasonName(RevokeReason::kRefreshReuse), "refresh_reuse");
}

}  // namespace
}  // namespace messenger::session
