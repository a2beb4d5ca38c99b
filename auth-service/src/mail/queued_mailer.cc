#include "auth-service/src/mail/queued_mailer.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"

namespace messenger::auth {

absl::Status QueuedMailer::Send(const Mail& mail) {
  const bool queued = thread_.Submit([this, mail, trace_id = trace::CurrentTraceId()] {
    trace::ScopedTrace scoped(trace_id);
    const absl::Status sent = inner_.Send(mail);
    metrics::Registry::Default()
        .GetCounter("mail_sent_total", "Mails handed to the mail server, by outcome",
                    {{"outcome", sent.ok() ? "ok" : "error"}})
        .Inc();
    if (!sent.ok()) log::Error("mail not sent", {{"error", std::string(sent.message())}});
  });
  if (!queued) return absl::UnavailableError("mail queue is full");
  return absl::OkStatus();
}

}  // namespace messenger::auth
