// Waiting long polls, woken by user id. Holds no thread per waiter: a waiter
// is a callback, run once when the user is notified or its deadline passes.
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

  WaitHub();
  ~WaitHub();

  // A per-user counter that every Notify of the user increments: read it
  // before looking for news, pass it to Wait, and a notification that came in
  // between is not missed.
  uint64_t Version(const std::string& user_id) const;
  // Runs `wake` once: at once if the user's version moved past `seen`, else
  // on the next Notify of the user or at `deadline`.
  void Wait(const std::string& user_id, uint64_t seen, absl::Time deadline, Wake wake);
  void Notify(const std::vector<std::string>& user_ids);
  // Called with every Notify's user ids (e.g. to wake waiters elsewhere).
  void AddListener(std::function<void(const std::vector<std::string>&)> listener);
  size_t waiting() const;
  bool stopping() const;
  // Wakes everyone (shutdown).
  void Stop();

 private:
  struct Waiter {
    std::string user_id;
    absl::Time deadline;
    Wake wake;
  };
  void RunTimer();

  mutable std::mutex mutex_;
  std::condition_variable timer_wake_;
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
