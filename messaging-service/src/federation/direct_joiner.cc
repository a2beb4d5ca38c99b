#include "messaging-service/src/federation/direct_joiner.h"

#include <algorithm>

#include "common/log.h"

namespace messenger::federation {

DirectJoiner::DirectJoiner(JoinFn join, Options options)
    : join_(std::move(join)), options_(options), thread_([this] { Run(); }) {}

DirectJoiner::~DirectJoiner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool DirectJoiner::Add(RemoteJoinRequest request) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || pending_.size() >= options_.max_pending) {
      log::Warn("direct room join not queued: too many pending", {{"room_id", request.room_id}});
      return false;
    }
    pending_.push_back({std::move(request), 0, absl::Now() + options_.first_delay});
  }
  wake_.notify_all();
  return true;
}

void DirectJoiner::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (pending_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto next = std::min_element(pending_.begin(), pending_.end(),
                                 [](const Pending& a, const Pending& b) { return a.due < b.due; });
    const absl::Time now = absl::Now();
    if (next->due > now) {
      wake_.wait_for(lock, absl::ToChronoMilliseconds(next->due - now + absl::Milliseconds(1)));
      continue;
    }
    Pending item = std::move(*next);
    pending_.erase(next);
    lock.unlock();
    const absl::StatusOr<std::string> joined = join_(item.request);
    lock.lock();
    // Joined, or nothing left to join (the room is known here, the invite
    // went): done. Otherwise (not reachable, not committed yet) later.
    if (joined.ok() || absl::IsAlreadyExists(joined.status()) ||
        absl::IsNotFound(joined.status()) || absl::IsInvalidArgument(joined.status())) {
      continue;
    }
    if (++item.attempt >= options_.attempts) {
      log::Warn("direct room not joined", {{"room_id", item.request.room_id},
                                           {"error", std::string(joined.status().message())}});
      continue;
    }
    item.due = absl::Now() + options_.first_delay * (1 << item.attempt);
    pending_.push_back(std::move(item));
  }
}

}  // namespace messenger::federation
