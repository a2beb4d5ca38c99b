#include "messaging-service/src/domain/wake_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace messenger::messaging {
namespace {

const std::vector<std::string> kAnn = {"ann"};

TEST(WakeLog, BeforeStartUpEveryoneReadsTheDatabase) {
  WakeLog log;
  log.Reset(/*horizon=*/90, /*known_from=*/100);
  EXPECT_EQ(log.Horizon(), 90u);
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey{0, 7}));  // a legacy token
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(99)));
  EXPECT_FALSE(log.MayHaveAfter("ann", SyncKey::Below(100)));
}

TEST(WakeLog, AWakeUpWithoutXidIsBoundedByTheNextReadThatStartsAfterIt) {
  WakeLog log;
  log.Reset(100, 100);
  const uint64_t early = log.ReadStarting();  // a read already under way
  log.Heard(kAnn);
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(500)));
  EXPECT_FALSE(log.MayHaveAfter("bob", SyncKey::Below(100)));
  // The early read's snapshot may predate the commit: it bounds nothing.
  log.ReadDone("ann", early, 110, 120);
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(500)));
  const uint64_t ticket = log.ReadStarting();
  log.ReadDone("ann", ticket, 115, 130);
  EXPECT_EQ(log.Horizon(), 115u);
  // The commit's xid is below 130: a token there has it (or a later read will).
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(115)));
  EXPECT_FALSE(log.MayHaveAfter("ann", SyncKey::Below(130)));
}

TEST(WakeLog, WakeUpsInAnyOrderKeepTheHighestXid) {
  WakeLog log;
  log.Reset(100, 100);
  log.Heard(kAnn, 150);
  log.Heard(kAnn, 120);  // a commit that started earlier, heard later
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(120)));
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(150)));
  EXPECT_FALSE(log.MayHaveAfter("ann", SyncKey::Below(151)));
}

TEST(WakeLog, AForgottenReaderMakesEveryoneReadUntilAReadBoundsIt) {
  WakeLog log(/*max_readers=*/2);
  log.Reset(100, 100);
  log.Heard({"ann"});
  log.Heard({"bob"});
  log.Heard({"cy"});  // ann is forgotten, still pending
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(1000)));
  EXPECT_TRUE(log.MayHaveAfter("dee", SyncKey::Below(1000)));
  const uint64_t ticket = log.ReadStarting();
  log.ReadDone("dee", ticket, 140, 150);
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(149)));
  EXPECT_FALSE(log.MayHaveAfter("ann", SyncKey::Below(150)));
  EXPECT_FALSE(log.MayHaveAfter("dee", SyncKey::Below(150)));
}

TEST(WakeLog, AfterLostWakeUpsEveryoneReadsUntilALaterReadBoundsThem) {
  WakeLog log;
  log.Reset(100, 100);
  EXPECT_FALSE(log.MayHaveAfter("ann", SyncKey::Below(100)));
  const uint64_t early = log.ReadStarting();
  log.Forget();  // the bus reconnected: wake-ups for ann may be lost
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(100)));
  log.Observed(early, 100, 105);  // started before: bounds nothing
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(100)));
  log.Observed(log.ReadStarting(), 108, 110);
  EXPECT_TRUE(log.MayHaveAfter("ann", SyncKey::Below(109)));
  EXPECT_FALSE(log.MayHaveAfter("ann", SyncKey::Below(110)));
}

}  // namespace
}  // namespace messenger::messaging
