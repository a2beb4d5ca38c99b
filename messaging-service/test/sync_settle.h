// For tests that compare a sync with what the database holds: waits until
// every row committed so far is below the sync horizon (a transaction of
// another database that ends while a read looks may still hold it back for
// that read) and returns that horizon.
#pragma once

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

inline SyncKey SettleSyncHorizon(MessagingStore& store) {
  auto now = store.StreamHorizon();
  EXPECT_TRUE(now.ok()) << now.status();
  const uint64_t target = now.ok() ? now->second : 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (;;) {
    auto horizon = store.StreamHorizon();
    EXPECT_TRUE(horizon.ok()) << horizon.status();
    if (!horizon.ok()) return SyncKey{};
    if (horizon->first >= target) return SyncKey::Below(horizon->first);
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "the sync horizon stayed below " << target;
      return SyncKey::Below(horizon->first);
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
}

}  // namespace messenger::messaging
