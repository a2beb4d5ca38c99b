#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "auth-service/src/mail/mailer.h"

namespace messenger::auth {

Mail VerificationMail(const std::string& to, const std::string& username, const std::string& token,
                      const std::string& public_url) {
  Mail mail;
  mail.to = to;
  mail.subject = "Verify your email address";
  mail.text = absl::StrCat("Hello ", username,
                           ",\n\n"
                           "please confirm your email address for Messenger.\n\n"
                           "Verification-Token: ",
                           token,
                           "\n\n"
                           "Or open this link:\n",
                           public_url, "/verify-email?token=", token,
                           "\n\n"
                           "The token is valid for 24 hours. If you did not sign up, ignore this "
                           "mail.\n");
  return mail;
}

std::string RenderMail(const Mail& mail, const std::string& from_address,
                       const std::string& message_id, absl::Time date) {
  // Header values come from validated input; strip line breaks anyway so that
  // nothing can add a header.
  auto header = [](const std::string& v) {
    return absl::StrReplaceAll(v, {{"\r", ""}, {"\n", ""}});
  };
  const size_t at = from_address.rfind('@');
  const std::string domain =
      at == std::string::npos ? std::string("localhost") : from_address.substr(at + 1);
  std::string out = absl::StrCat(
      "From: Messenger <", header(from_address), ">\r\n", "To: <", header(mail.to), ">\r\n",
      "Subject: ", header(mail.subject), "\r\n",
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", date, absl::UTCTimeZone()), "\r\n",
      "Message-ID: <", message_id, "@", header(domain), ">\r\n", "MIME-Version: 1.0\r\n",
      "Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: 8bit\r\n", "\r\n");
  absl::StrAppend(&out, absl::StrReplaceAll(mail.text, {{"\n", "\r\n"}}));
  return out;
}

}  // namespace messenger::auth
