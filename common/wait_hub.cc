#include "common/wait_hub.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace messenger {

WaitHub::WaitHub() : timer_([this] { RunTimer(); }) {}

WaitHub::~WaitHub() { Stop(); }

uint64_t WaitHub::Version(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = versions_.find(user_id);
  return it == versions_.end() ? 0 : it->second;
}

void WaitHub::Wait(const std::string& user_id, uint64_t seen, absl::Time deadline, Wake wake) {
  {
    std::lock_guard lock(mutex_);
    auto it = versions_.find(user_id);
    const uint64_t now_version = it == versions_.end() ? 0 : it->second;
    if (now_version == seen && !stopping_) {
      const uint64_t id = next_id_++;
      waiters_[id] = Waiter{user_id, deadline, std::move(wake)};
      by_user_[user_id].push_back(id);
      deadlines_.emplace(deadline, id);
      timer_wake_.notify_one();
      return;
    }
  }
  wake();  // news arrived meanwhile
}

void WaitHub::AddListener(std::function<void(const std::vector<std::string>&)> listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

void WaitHub::Notify(const std::vector<std::string>& user_ids) {
  std::vector<Wake> to_wake;
  std::vector<std::function<void(const std::vector<std::string>&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& user : user_ids) {
      ++versions_[user];
      auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      for (uint64_t id : it->second) {
        auto w = waiters_.find(id);
        if (w == waiters_.end()) continue;
        to_wake.push_back(std::move(w->second.wake));
        // The deadline entry is left behind; the timer skips unknown ids.
        waiters_.erase(w);
      }
      by_user_.erase(it);
    }
    listeners = listeners_;
  }
  for (auto& wake : to_wake) wake();
  for (auto& listener : listeners) listener(user_ids);
}

size_t WaitHub::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

bool WaitHub::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void WaitHub::Stop() {
  std::vector<Wake> to_wake;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, waiter] : waiters_) to_wake.push_back(std::move(waiter.wake));
    waiters_.clear();
    by_user_.clear();
    deadlines_.clear();
  }
  timer_wake_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& wake : to_wake) wake();
}

void WaitHub::RunTimer() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    std::vector<Wake> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const uint64_t id = deadlines_.begin()->second;
      deadlines_.erase(deadlines_.begin());
      auto w = waiters_.find(id);
      if (w == waiters_.end()) continue;  // already woken
      auto& ids = by_user_[w->second.user_id];
      ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
      if (ids.empty()) by_user_.erase(w->second.user_id);
      expired.push_back(std::move(w->second.wake));
      waiters_.erase(w);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& wake : expired) wake();
      lock.lock();
      continue;
    }
    if (deadlines_.empty()) {
      timer_wake_.wait(lock);
    } else {
      timer_wake_.wait_for(lock, absl::ToChronoNanoseconds(deadlines_.begin()->first - now));
    }
  }
}

}  // namespace messenger
