#pragma once

#include <atomic>
#include <string>

#include "auth-service/src/mail/mailer.h"
#include "common/clock.h"

namespace messenger::auth {

// Writes each mail as an RFC 5322 file into <dir>/new (via <dir>/tmp, so a
// reader never sees half a mail).
class MaildirMailer final : public Mailer {
 public:
  MaildirMailer(std::string dir, std::string from_domain, const Clock& clock)
      : dir_(std::move(dir)), from_domain_(std::move(from_domain)), clock_(clock) {}
  absl::Status Init();
  absl::Status Send(const Mail& mail) override;

  // The RFC 5322 text of a mail (CRLF line endings).
  std::string Render(const Mail& mail, const std::string& message_id) const;

 private:
  std::string dir_;
  std::string from_domain_;
  const Clock& clock_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace messenger::auth
