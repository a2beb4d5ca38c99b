#include "auth-service/src/mail/maildir_mailer.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace messenger::auth {

absl::Status MaildirMailer::Init() {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    std::filesystem::create_directories(std::filesystem::path(dir_) / sub, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("maildir ", dir_, ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string MaildirMailer::Render(const Mail& mail, const std::string& message_id) const {
  return RenderMail(mail, "no-reply@" + from_domain_, message_id, clock_.Now());
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
