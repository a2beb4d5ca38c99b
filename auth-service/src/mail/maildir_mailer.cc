#include "auth-service/src/mail/maildir_mailer.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/crypto.h"

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

absl::Status MaildirMailer::Init() {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    std::filesystem::create_directories(std::filesystem::path(dir_) / sub, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("maildir ", dir_, ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string MaildirMailer::Render(const Mail& mail, const std::string& message_id) const {
  const std::string date =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", clock_.Now(), absl::UTCTimeZone());
  // Header values come from validated input; strip line breaks anyway so that
  // nothing can add a header.
  auto header = [](const std::string& v) {
    return absl::StrReplaceAll(v, {{"\r", ""}, {"\n", ""}});
  };
  std::string out = absl::StrCat(
      "From: Messenger <no-reply@", from_domain_, ">\r\n", "To: <", header(mail.to), ">\r\n",
      "Subject: ", header(mail.subject), "\r\n", "Date: ", date, "\r\n", "Message-ID: <",
      message_id, "@", from_domain_, ">\r\n", "MIME-Version: 1.0\r\n",
      "Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: 8bit\r\n", "\r\n");
  absl::StrAppend(&out, absl::StrReplaceAll(mail.text, {{"\n", "\r\n"}}));
  return out;
}

absl::Status MaildirMailer::Send(const Mail& mail) {
  const std::string id = NewUuid(SecureRng::Instance());
  const std::string name =
      absl::StrCat(absl::ToUnixSeconds(clock_.Now()), ".M", absl::ToUnixMicros(clock_.Now()) % 1000000,
                   "P", getpid(), "Q", ++counter_, ".", id.substr(0, 8), ".messenger");
  const std::filesystem::path tmp = std::filesystem::path(dir_) / "tmp" / name;
  const std::filesystem::path dest = std::filesystem::path(dir_) / "new" / name;
  {
    std::ofstream file(tmp, std::ios::binary);
    file << Render(mail, id);
    file.flush();
    if (!file) return absl::UnavailableError(absl::StrCat("maildir: cannot write ", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dest, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("maildir: ", ec.message()));
  return absl::OkStatus();
}

}  // namespace messenger::auth
