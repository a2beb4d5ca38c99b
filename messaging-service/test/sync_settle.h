// For tests that compare a sync with what the database holds: waits until
// every row committed so far is below the sync horizon and returns that
// horizon. It also waits until every transaction of the cluster that began
// before has ended: the horizon skips other databases' running xids only
// while pg_stat_activity shows them, so one that ends during a later read
// would hold that read back below the rows (safe, but two reads would then
// differ).
#pragma once

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "common/pg/pg.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

inline SyncKey SettleSyncHorizon(MessagingStore& store, pg::Pool& pool) {
  static constexpr pg::Query kClusterXmin{
      "test_cluster_xmin", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"};
  auto now = store.StreamHorizon();
  EXPECT_TRUE(now.ok()) << now.status();
  const uint64_t target = now.ok() ? now->second : 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (;;) {
    auto horizon = store.StreamHorizon();
    EXPECT_TRUE(horizon.ok()) << horizon.status();
    if (!horizon.ok()) return SyncKey{};
    auto xmin = pool.Exec(kClusterXmin);
    EXPECT_TRUE(xmin.ok()) << xmin.status();
    if (horizon->first >= target && xmin.ok() &&
        std::stoull(xmin->GetString(0, 0)) >= target) {
      return SyncKey::Below(horizon->first);
    }
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "the sync horizon stayed below " << target;
      return SyncKey::Below(horizon->first);
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
}

}  // namespace messenger::messaging
