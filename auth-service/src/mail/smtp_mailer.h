// Delivery over SMTP (libcurl): smtp:// upgrades with STARTTLS when the server
// offers it (or must, with require_tls), smtps:// is TLS from the start;
// credentials come from the URL (smtp://user:pass@host:587). One connection
// per mail, bounded by `timeout`. Meant to run behind a QueuedMailer.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "auth-service/src/mail/mailer.h"
#include "common/clock.h"

namespace messenger::auth {

struct SmtpOptions {
  std::string url;           // MESSENGER_SMTP_URL
  std::string from;          // MESSENGER_MAIL_FROM: envelope and From: address
  std::string ca_file;       // MESSENGER_SMTP_CA_FILE: trust this CA ("" = the system's)
  bool require_tls = true;  // MESSENGER_SMTP_REQUIRE_TLS: refuse to send without STARTTLS
  absl::Duration timeout = absl::Seconds(10);
};

class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(SmtpOptions options, const Clock& clock);
  absl::Status Send(const Mail& mail) override;

 private:
  SmtpOptions options_;
  const Clock& clock_;
};

}  // namespace messenger::auth
