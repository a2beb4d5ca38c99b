#include "common/wait_hub.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace messenger {

WaitHub::WaitHub() : WaitHub(Options{}) {}

WaitHub::WaitHub(Options options) : options_(options), timer_([this] { RunTimer(); }) {}

WaitHub::~WaitHub() { Stop(); }

uint64_t WaitHub::VersionLocked(const std::string& user_id) const {
  auto it = versions_.find(user_id);
  return it == versions_.end() ? floor_ : it->second;
}

uint64_t WaitHub::Version(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return VersionLocked(user_id);
}

void WaitHub::Wait(const std::string& user_id, uint64_t seen, absl::Time deadline, Wake wake,
                   Wake evicted) {
  Wake pushed_out;
  {
    std::lock_guard lock(mutex_);
    if (VersionLocked(user_id) != seen || stopping_) {
      // News arrived meanwhile (or the hub stops).
    } else {
      std::vector<uint64_t>& ids = by_user_[user_id];
      if (options_.max_waiters_per_user > 0 && ids.size() >= options_.max_waiters_per_user) {
        // The oldest goes; its deadline entry is skipped by the timer.
        auto oldest = waiters_.find(ids.front());
        ids.erase(ids.begin());
        if (oldest != waiters_.end()) {
          pushed_out = oldest->second.evicted ? std::move(oldest->second.evicted)
                                              : std::move(oldest->second.wake);
          waiters_.erase(oldest);
        }
      }
      const uint64_t id = next_id_++;
      waiters_[id] = Waiter{user_id, deadline, std::move(wake), std::move(evicted)};
      ids.push_back(id);
      deadlines_.emplace(deadline, id);
      timer_wake_.notify_one();
      wake = nullptr;
    }
  }
  if (pushed_out) pushed_out();
  if (wake) wake();
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
      versions_[user] = ++counter_;
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

size_t WaitHub::tracked_users() const {
  std::lock_guard lock(mutex_);
  size_t waiting_only = 0;
  for (const auto& [user, ids] : by_user_) waiting_only += versions_.contains(user) ? 0 : 1;
  return versions_.size() + waiting_only;
}

void WaitHub::Sweep() {
  std::lock_guard lock(mutex_);
  std::erase_if(versions_, [this](const auto& entry) { return !by_user_.contains(entry.first); });
  floor_ = ++counter_;
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
  absl::Time next_sweep = absl::Now() + options_.sweep_interval;
  while (!stopping_) {
    const absl::Time now = absl::Now();
    if (now >= next_sweep) {
      lock.unlock();
      Sweep();
      lock.lock();
      next_sweep = now + options_.sweep_interval;
      continue;
    }
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
    const absl::Time until =
        deadlines_.empty() ? next_sweep : std::min(next_sweep, deadlines_.begin()->first);
    timer_wake_.wait_for(lock, absl::ToChronoNanoseconds(until - now));
  }
}

}  // namespace messenger
