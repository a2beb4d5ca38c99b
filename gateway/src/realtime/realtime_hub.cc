#include "gateway/src/realtime/realtime_hub.h"

#include <algorithm>

namespace messenger::gateway {
namespace {

// Calls outside the lock: a client may call back into the hub.
void WakeEach(const std::vector<std::shared_ptr<RealtimeClient>>& clients) {
  for (const auto& c : clients) c->Wake();
}

}  // namespace

void RealtimeHub::Add(const std::string& user_id, const std::string& session_id,
                      const std::shared_ptr<RealtimeClient>& client) {
  std::shared_ptr<RealtimeClient> evicted;
  {
    std::lock_guard lock(mutex_);
    auto& slots = by_user_[user_id];
    slots.push_back(Slot{session_id, client, client.get()});
    users_by_session_.emplace(session_id, user_id);
    ++size_;
    if (slots.size() > max_per_user_) evicted = slots.front().client.lock();
  }
  // It removes itself when its socket has closed.
  if (evicted) evicted->Close(kWsCloseTooMany, "too many WebSockets for this user; oldest closed");
}

void RealtimeHub::Remove(const std::string& user_id, const std::string& session_id,
                         const RealtimeClient* client) {
  std::lock_guard lock(mutex_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return;
  auto& slots = it->second;
  const auto before = slots.size();
  std::erase_if(slots, [client](const Slot& s) { return s.raw == client; });
  size_ -= before - slots.size();
  if (slots.empty()) by_user_.erase(it);
  auto [first, last] = users_by_session_.equal_range(session_id);
  for (auto s = first; s != last; ++s) {
    if (s->second == user_id) {
      users_by_session_.erase(s);
      break;
    }
  }
}

void RealtimeHub::Wake(const std::vector<std::string>& user_ids) {
  std::vector<std::shared_ptr<RealtimeClient>> woken;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& user : user_ids) {
      auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      for (const Slot& s : it->second) {
        if (auto c = s.client.lock()) woken.push_back(std::move(c));
      }
    }
  }
  WakeEach(woken);
}

void RealtimeHub::CloseAll(uint16_t code, const char* reason) {
  std::vector<std::shared_ptr<RealtimeClient>> closing;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user, slots] : by_user_) {
      for (const Slot& s : slots) {
        if (auto c = s.client.lock()) closing.push_back(std::move(c));
      }
    }
  }
  for (const auto& c : closing) c->Close(code, reason);
}

void RealtimeHub::CloseSession(const std::string& session_id) {
  std::vector<std::shared_ptr<RealtimeClient>> closing;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = users_by_session_.equal_range(session_id);
    std::vector<std::string> users;
    for (auto s = first; s != last; ++s) users.push_back(s->second);
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    for (const std::string& user : users) {
      auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      for (const Slot& s : it->second) {
        if (s.session_id != session_id) continue;
        if (auto c = s.client.lock()) closing.push_back(std::move(c));
      }
    }
  }
  for (const auto& c : closing) c->Close(kWsCloseSessionEnded, "session ended");
}

size_t RealtimeHub::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace messenger::gateway
