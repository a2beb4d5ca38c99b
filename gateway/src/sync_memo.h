// What each user's last /v1/sync answer left behind: its `next` token and the
// wake-up version the look started at, when messaging said nothing for the
// user lies above `next`. A new poll from exactly that token, with no wake-up
// since, has nothing to read yet: it waits without a first look (one gRPC
// call fewer per delivered message). Its deadline look still reads, which
// covers a wake-up lost on the way.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "common/lru_cache.h"

namespace messenger::gateway {

class SyncMemo {
 public:
  // Past this many users the least recently answered is forgotten (its next
  // poll looks).
  explicit SyncMemo(size_t max_users = 100'000) : last_("gateway_sync_memo", max_users) {}

  void Remember(const std::string& user_id, const std::string& next, uint64_t version);
  void Forget(const std::string& user_id);
  // Whether a poll from `since` at wake-up `version` may skip its first look.
  bool NothingSince(const std::string& user_id, const std::string& since, uint64_t version);

 private:
  LruCache<std::string, std::pair<std::string, uint64_t>> last_;
};

}  // namespace messenger::gateway
