#include "gateway/src/sync_memo.h"

namespace messenger::gateway {

void SyncMemo::Remember(const std::string& user_id, const std::string& next, uint64_t version) {
  std::lock_guard lock(mutex_);
  if (last_.size() >= max_users_ && !last_.contains(user_id)) last_.clear();
  last_[user_id] = {next, version};
}

void SyncMemo::Forget(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  last_.erase(user_id);
}

bool SyncMemo::NothingSince(const std::string& user_id, const std::string& since,
                            uint64_t version) const {
  std::lock_guard lock(mutex_);
  const auto it = last_.find(user_id);
  return it != last_.end() && it->second.first == since && it->second.second == version;
}

}  // namespace messenger::gateway
