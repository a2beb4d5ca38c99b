// Rooms over shards, and which shards a replica should take or give back
// (pure logic: no IO). Ownership itself is a PostgreSQL advisory lock held by
// the LeaseHolder; this only decides what to ask for.
#pragma once

#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

namespace messenger::messaging {

inline constexpr int kShardCount = 64;
// First key of the two-int advisory lock; the shard is the second.
inline constexpr int kShardLockSpace = 0x6d736731;  // "msg1"

// fnv1a(room_id) % kShardCount: stable across processes and builds.
int ShardOf(std::string_view room_id);

// ceil(kShardCount / live): the most shards one replica should hold.
int FairShare(int live_replicas);

struct LeasePlan {
  std::vector<int> take;     // free shards to try, lowest first
  std::vector<int> release;  // held shards to give back, highest first
};

// `held`: this replica's shards; `taken`: shards some replica (maybe this
// one) holds; `live`: replicas with a fresh heartbeat, this one included.
// Takes free shards up to the fair share; gives back what is above it once
// every shard is held (a replica joined); never both in one round.
LeasePlan PlanLeases(const std::set<int>& held, const std::set<int>& taken, int live);

}  // namespace messenger::messaging
