// Waiting long polls, woken by user id. Holds no thread per waiter: a waiter
// is a callback, run once when the user is notified or its deadline passes.
// Bounded: at most `max_waiters_per_user` wait per user (a new one pushes the
// oldest out), and users nobody waits for are forgotten by a periodic sweep.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"

namespace messenger {

class WaitHub {
 public:
  using Wake = std::function<void()>;

  struct Options {
    size_t max_waiters_per_user = 0;  // 0: no limit
    absl::Duration sweep_interval = absl::Minutes(1);
  };

  WaitHub();
  explicit WaitHub(Options options);
  ~WaitHub();

  // A per-user counter that every Notify of the user increments: read it
  // before looking for news, pass it to Wait, and a notification that came in
  // between is not missed.
  uint64_t Version(const std::string& user_id) const;
  // Runs `wake` once: at once if the user's version moved past `seen`, else
  // on the next Notify of the user or at `deadline`. When the user already
  // has the most waiters allowed, the oldest of them is pushed out: its
  // `evicted` runs instead of its `wake` (its `wake` if it has none).
  void Wait(const std::string& user_id, uint64_t seen, absl::Time deadline, Wake wake,
            Wake evicted = nullptr);
  void Notify(const std::vector<std::string>& user_ids);
  // Called with every Notify's user ids (e.g. to wake waiters elsewhere).
  void AddListener(std::function<void(const std::vector<std::string>&)> listener);
  size_t waiting() const;
  // Users with a version or a waiter held here.
  size_t tracked_users() const;
  // Forgets the versions of users nobody waits for (the timer does it every
  // sweep_interval). A version read before still differs from any later one.
  void Sweep();
  bool stopping() const;
  // Wakes everyone (shutdown).
  void Stop();

 private:
  struct Waiter {
    std::string user_id;
    absl::Time deadline;
    Wake wake;
    Wake evicted;
  };
  uint64_t VersionLocked(const std::string& user_id) const;
  void RunTimer();

  mutable std::mutex mutex_;
  std::condition_variable timer_wake_;
  Options options_;
  // Versions come from one counter, so a forgotten user's next version is
  // new; a forgotten user reads `floor_` (past every version handed out
  // before the sweep that forgot it).
  uint64_t counter_ = 0;
  uint64_t floor_ = 0;
  std::unordered_map<std::string, uint64_t> versions_;
  std::unordered_map<std::string, std::vector<uint64_t>> by_user_;
  std::map<uint64_t, Waiter> waiters_;
  std::multimap<absl::Time, uint64_t> deadlines_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::vector<std::function<void(const std::vector<std::string>&)>> listeners_;
  std::thread timer_;
};

}  // namespace messenger
