#include "messaging-service/src/sharding/shard_plan.h"

#include <algorithm>

namespace messenger::messaging {

int ShardOf(std::string_view room_id) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : room_id) {
    hash ^= c;
    hash *= 16777619u;
  }
  return static_cast<int>(hash % kShardCount);
}

int FairShare(int live_replicas) {
  const int live = std::max(live_replicas, 1);
  return (kShardCount + live - 1) / live;
}

LeasePlan PlanLeases(const std::set<int>& held, const std::set<int>& taken, int live) {
  LeasePlan plan;
  const int share = FairShare(live);
  const int count = static_cast<int>(held.size());
  // Extras go back only when every shard has a holder: while some are free a
  // replica is missing (dead, not yet stale), and giving shards back would
  // only make them change hands twice.
  if (count > share && static_cast<int>(taken.size()) >= kShardCount) {
    auto it = held.rbegin();
    for (int i = 0; i < count - share; ++i, ++it) plan.release.push_back(*it);
    return plan;
  }
  if (count >= share) return plan;
  for (int shard = 0; shard < kShardCount && count + static_cast<int>(plan.take.size()) < share;
       ++shard) {
    if (!taken.count(shard) && !held.count(shard)) plan.take.push_back(shard);
  }
  return plan;
}

}  // namespace messenger::messaging
