// Outgoing mail: a maildir spool (dev, the default) or SMTP
// (MESSENGER_SMTP_URL), both rendering the same RFC 5322 text.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace messenger::auth {

struct Mail {
  std::string to;
  std::string subject;
  std::string text;  // plain text body, lines separated by '\n'
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual absl::Status Send(const Mail& mail) = 0;
};

// The verification mail: the token on a line of its own
// ("Verification-Token: <token>") and a link for the web client.
Mail VerificationMail(const std::string& to, const std::string& username, const std::string& token,
                      const std::string& public_url);

// The RFC 5322 text of a mail (CRLF line endings; header values cannot add
// headers). Message-ID is <message_id@domain of from_address>.
std::string RenderMail(const Mail& mail, const std::string& from_address,
                       const std::string& message_id, absl::Time date);

}  // namespace messenger::auth
