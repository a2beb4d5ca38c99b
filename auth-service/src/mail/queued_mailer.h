// Sends mail on a thread of its own: a slow or unreachable mail server delays
// no request. At most `max_queued` mails wait; failures (and a full queue) are
// logged, and the user can ask for the mail again.
#pragma once

#include <cstddef>

#include "auth-service/src/mail/mailer.h"
#include "common/grpc/work_pool.h"

namespace messenger::auth {

class QueuedMailer final : public Mailer {
 public:
  QueuedMailer(Mailer& inner, size_t max_queued) : inner_(inner), thread_("mail", 1, max_queued) {}
  // OK once queued; UNAVAILABLE when the queue is full.
  absl::Status Send(const Mail& mail) override;
  // Sends what is queued, then stops.
  void Stop() { thread_.Stop(); }

 private:
  Mailer& inner_;
  grpcx::WorkPool thread_;
};

}  // namespace messenger::auth
