// After this server took an invite of a contact into a direct room
// (feddirect), the invitee joins it at once, as /v1 keeps friends joined:
// the join (OutgoingJoin::Join) runs on its own thread once the invite was
// answered (the inviting server commits the invite only then, so the first
// make_join may find no invite yet: tried again with a growing delay).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "messaging-service/src/federation/outgoing_join.h"

namespace messenger::federation {

class DirectJoiner {
 public:
  struct Options {
    size_t max_pending = 1000;  // joins waiting; more are dropped (logged)
    int attempts = 6;
    absl::Duration first_delay = absl::Milliseconds(200);  // doubled per attempt
  };
  using JoinFn = std::function<absl::StatusOr<std::string>(const RemoteJoinRequest&)>;
  DirectJoiner(JoinFn join, Options options);
  ~DirectJoiner();
  DirectJoiner(const DirectJoiner&) = delete;
  DirectJoiner& operator=(const DirectJoiner&) = delete;

  // Queues the join; false when the queue is full.
  bool Add(RemoteJoinRequest request);

 private:
  struct Pending {
    RemoteJoinRequest request;
    int attempt = 0;
    absl::Time due;
  };
  void Run();

  JoinFn join_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace messenger::federation
