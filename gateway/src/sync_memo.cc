#include "gateway/src/sync_memo.h"

namespace messenger::gateway {

void SyncMemo::Remember(const std::string& user_id, const std::string& next, uint64_t version) {
  last_.Put(user_id, {next, version});
}

void SyncMemo::Forget(const std::string& user_id) { last_.Erase(user_id); }

bool SyncMemo::NothingSince(const std::string& user_id, const std::string& since,
                            uint64_t version) {
  const auto last = last_.Get(user_id);
  return last.has_value() && last->first == since && last->second == version;
}

}  // namespace messenger::gateway
