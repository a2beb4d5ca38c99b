// The outgoing federation sender (issue 16): a background loop per messaging
// process that sends each destination's queued PDUs (federation_outgoing) as
// PUT /_matrix/federation/v1/send/{txnId} transactions, oldest first, and
// deletes them only after the destination's 200 (or its refusal, a 4xx: see
// RefusedForGood). A destination that fails backs off (SendBackoff); a lease
// in the database keeps two replicas from sending to one destination at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.h"
#include "common/metrics.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/federation_config.h"
#include "messaging-service/src/federation/outgoing_store.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

class OutgoingSender {
 public:
  OutgoingSender(OutgoingStore& store, FederationClient& client, std::string origin, Rng& rng,
                 SenderOptions options);
  ~OutgoingSender() { Stop(); }

  void Start();
  void Stop();
  // One pass over every destination (the loop's body; tests call it).
  absl::Status SendOnce();
  // A commit queued PDUs for `destinations`: the next pass starts now rather
  // than after the poll interval, unless each of them is known to be backing
  // off (a down server does not turn every commit into a pass).
  void Wake(const std::vector<std::string>& destinations);
  // Best effort (in memory, not persisted): an EDU for `destinations`, sent
  // with their next transaction; lost with a failed one or a restart.
  void QueueEdu(const std::vector<std::string>& destinations, const nlohmann::json& edu);

 private:
  absl::Status SendTo(const std::string& destination);
  std::vector<nlohmann::json> TakeEdus(const std::string& destination, size_t max);
  void Run();

  OutgoingStore& store_;
  FederationClient& client_;
  std::string origin_;
  Rng& rng_;
  SenderOptions options_;
  std::string owner_;  // this process, in the lease
  metrics::Counter& sent_;
  metrics::Counter& failed_;
  metrics::Counter& refused_;
  metrics::Counter& edus_dropped_;
  metrics::Counter& dropped_;
  std::atomic<int64_t> depth_ = 0;
  std::atomic<int64_t> max_depth_ = 0;
  std::atomic<int64_t> backing_off_ = 0;
  metrics::GaugeHandle depth_gauge_, max_depth_gauge_, backoff_gauge_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  // Destinations this process saw fail, until their retry (under mutex_;
  // pruned each pass, so it holds at most the destinations backing off).
  std::map<std::string, absl::Time> retry_at_;
  // Queued EDUs per destination (under mutex_; edu_queue_limit each).
  std::map<std::string, std::deque<nlohmann::json>> edus_;
  std::thread thread_;
};

}  // namespace messenger::federation
