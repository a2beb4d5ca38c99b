// Tells every reader of the sync stream about a commit: this replica's wake
// log and long polls at once, and (with a publisher) every other replica and
// gateway through the wake subject. Wake-ups heard from the subject feed this
// replica's log and long polls the same way. Best effort: a lost wake-up
// delays a delivery, never skips it (WakeLog).
//
// The payload stays what gateways read, a JSON array of user ids; its last
// element is an object naming the writer (gateways skip non-strings), so a
// replica can skip its own wake-ups.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pg/pg.h"
#include "common/wait_hub.h"
#include "messaging-service/src/domain/wake_log.h"

namespace messenger::messaging {

class CommitAnnouncer {
 public:
  using Publish = std::function<void(const std::string& payload)>;

  CommitAnnouncer(WakeLog& log, WaitHub& hub);

  // Where this replica's wake-ups go (the wake subject); none in a single
  // process. Set before the first commit.
  void SetPublisher(Publish publish) { publish_ = std::move(publish); }
  // A commit with rows `readers` (user ids) will see.
  void Committed(const std::vector<std::string>& readers);
  // The same, once `tx` commits.
  void OnCommit(pg::Tx& tx, std::vector<std::string> readers);
  // News for `readers` outside the stream (typing): their long polls here
  // and, through the wake subject, the gateways' wake up; no wake log
  // changes (the other replicas hear the news itself on its own subject).
  void Woke(const std::vector<std::string>& readers);
  // A payload from the wake subject; this replica's own are skipped, and so
  // are the ones of Woke, anything malformed is ignored.
  void Heard(std::string_view payload);

  WakeLog& log() { return log_; }
  WaitHub& hub() { return hub_; }

 private:
  WakeLog& log_;
  WaitHub& hub_;
  Publish publish_;
  std::string writer_id_;  // tells this replica's wake-ups from others'
};

}  // namespace messenger::messaging
