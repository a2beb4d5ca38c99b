#include "auth-service/src/mail/smtp_mailer.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace messenger::auth {
namespace {

struct Upload {
  std::string data;
  size_t sent = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data.size() - upload->sent);
  std::memcpy(buffer, upload->data.data() + upload->sent, n);
  upload->sent += n;
  return n;
}

// An address inside <...> cannot carry SMTP syntax of its own.
bool SafeAddress(std::string_view address) {
  return !address.empty() && address.find_first_of("<>\r\n") == std::string_view::npos;
}

}  // namespace

SmtpMailer::SmtpMailer(SmtpOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::Status SmtpMailer::Send(const Mail& mail) {
  if (!SafeAddress(mail.to) || !SafeAddress(options_.from)) {
    return absl::InvalidArgumentError("smtp: bad address");
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("smtp: curl_easy_init failed");
  Upload upload{RenderMail(mail, options_.from, NewUuid(SecureRng::Instance()), clock_.Now())};
  const std::string from = absl::StrCat("<", options_.from, ">");
  const std::string to = absl::StrCat("<", mail.to, ">");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
      curl_slist_append(nullptr, to.c_str()), &curl_slist_free_all);
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (absl::StartsWithIgnoreCase(options_.url, "smtp://")) {
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(options_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadBody);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("smtp: ", error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

}  // namespace messenger::auth
