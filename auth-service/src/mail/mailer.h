// Outgoing mail. Dev: a maildir spool; production would plug SMTP in here.
#pragma once

#include <string>

#include "absl/status/status.h"

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

}  // namespace messenger::auth
