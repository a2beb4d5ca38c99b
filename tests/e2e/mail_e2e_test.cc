// Verification mail end to end: delivery over SMTP (STARTTLS and AUTH against
// a real aiosmtpd server) and the page behind the mail's link, which a GET
// shows without spending the token.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// tests/e2e/smtp_server.py with a fresh self-signed certificate for 127.0.0.1.
class SmtpServer {
 public:
  void Start() {
    cert_ = dir_.path() + "/cert.pem";
    const std::string key = dir_.path() + "/key.pem";
    const std::string openssl = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout ",
        key, " -out ", cert_, " >/dev/null 2>&1");
    ASSERT_EQ(std::system(openssl.c_str()), 0) << openssl;
    spool_ = dir_.path() + "/spool";
    std::filesystem::create_directories(spool_);
    port_ = testing::FreePort();
    auto process = testing::ChildProcess::Start(
        {"/usr/bin/python3", MESSENGER_SMTP_SERVER_SCRIPT, "--port", std::to_string(port_), "--dir",
         spool_, "--cert", cert_, "--key", key, "--user", "mailer", "--password", "s3cret"},
        {}, dir_.path() + "/smtp.log");
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = std::move(*process);
    ASSERT_TRUE(testing::WaitUntil([&] { return Accepts(port_); }, absl::Seconds(20),
                                   absl::Milliseconds(50)))
        << ReadFile(dir_.path() + "/smtp.log");
  }
  ~SmtpServer() {
    if (process_) process_->Stop(SIGTERM, absl::Seconds(5));
  }
  std::string Url(const std::string& credentials) const {
    return absl::StrCat("smtp://", credentials, "@127.0.0.1:", port_);
  }
  const std::string& cert() const { return cert_; }
  std::vector<std::string> Messages() const {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(spool_)) {
      if (e.path().extension() == ".eml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(ReadFile(f));
    return out;
  }
  std::string log() const { return ReadFile(dir_.path() + "/smtp.log"); }

 private:
  testing::TempDir dir_{"messenger-smtp"};
  std::string cert_, spool_;
  int port_ = 0;
  std::unique_ptr<testing::ChildProcess> process_;
};

std::string TokenIn(const std::string& mail) {
  const std::string marker = "\r\nVerification-Token: ";
  const size_t at = mail.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return mail.substr(start, mail.find("\r\n", start) - start);
}

TEST(MailE2eTest, RegistrationMailIsDeliveredOverSmtpWithStartTlsAndAuth) {
  SmtpServer smtp;
  ASSERT_NO_FATAL_FAILURE(smtp.Start());
  auto started = MessengerProcess::Start({{"MESSENGER_SMTP_URL", smtp.Url("mailer:s3cret")},
                                          {"MESSENGER_SMTP_CA_FILE", smtp.cert()},
                                          {"MESSENGER_SMTP_REQUIRE_TLS", "true"},
                                          {"MESSENGER_MAIL_FROM", "hello@messenger.test"},
                                          {"MESSENGER_PUBLIC_URL", "https://chat.example.com"}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  Reply reg = Send(*client, "POST", "/v1/auth/register",
                   nlohmann::json{{"username", "mallory"},
                                  {"email", "mallory@example.com"},
                                  {"password", "correct horse"}});
  ASSERT_EQ(reg.status, 201) << reg.raw;
  std::vector<std::string> mails;
  ASSERT_TRUE(testing::WaitUntil([&] { return !(mails = smtp.Messages()).empty(); },
                                 absl::Seconds(20), absl::Milliseconds(20)))
      << smtp.log();
  ASSERT_EQ(mails.size(), 1u);
  const std::string& mail = mails[0];
  EXPECT_NE(mail.find("X-Envelope-From: hello@messenger.test"), std::string::npos) << mail;
  EXPECT_NE(mail.find("X-Envelope-To: mallory@example.com"), std::string::npos) << mail;
  EXPECT_NE(mail.find("X-Auth-User: mailer"), std::string::npos) << mail;
  EXPECT_NE(mail.find("\r\nFrom: Messenger <hello@messenger.test>\r\n"), std::string::npos);
  const std::string token = TokenIn(mail);
  ASSERT_FALSE(token.empty()) << mail;
  EXPECT_NE(mail.find("https://chat.example.com/verify-email?token=" + token), std::string::npos);
  // The mailed token verifies the address.
  Reply verify = Send(*client, "POST", "/v1/auth/verify-email", nlohmann::json{{"token", token}});
  EXPECT_EQ(verify.status, 200) << verify.raw;
}

TEST(MailE2eTest, AMailServerThatRefusesTheLoginDoesNotFailOrDelayRegistration) {
  SmtpServer smtp;
  ASSERT_NO_FATAL_FAILURE(smtp.Start());
  auto started = MessengerProcess::Start(
      {{"MESSENGER_SMTP_URL", smtp.Url("mailer:wrong")}, {"MESSENGER_SMTP_CA_FILE", smtp.cert()}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  Reply reg =
      Send(*client, "POST", "/v1/auth/register",
           nlohmann::json{
               {"username", "nina"}, {"email", "nina@example.com"}, {"password", "correct horse"}});
  EXPECT_EQ(reg.status, 201) << reg.raw;
  // The failure is logged, and nothing arrives.
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return ReadFile((*started)->log_path()).find("mail not sent") != std::string::npos; },
      absl::Seconds(20), absl::Milliseconds(50)));
  EXPECT_TRUE(smtp.Messages().empty());
}

class VerifyPageE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = MessengerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
  }
  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(VerifyPageE2eTest, TheLinkShowsAPageWithoutSpendingTheTokenAndItsButtonVerifies) {
  Reply reg =
      Send(*client_, "POST", "/v1/auth/register",
           nlohmann::json{
               {"username", "olga"}, {"email", "olga@example.com"}, {"password", "correct horse"}});
  ASSERT_EQ(reg.status, 201) << reg.raw;
  const std::string token = messenger_->LatestVerificationToken("olga@example.com").value_or("");
  ASSERT_FALSE(token.empty());
  // A scanner (or the user) opens the link twice: a page, nothing spent.
  for (int i = 0; i < 2; ++i) {
    auto page = client_->Get("/verify-email?token=" + token);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
    EXPECT_NE(page->body.find("<form method=\"post\" action=\"/verify-email\">"), std::string::npos)
        << page->body;
    EXPECT_NE(page->body.find("value=\"" + token + "\""), std::string::npos);
  }
  Reply login = Send(*client_, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", "olga"}, {"password", "correct horse"}});
  ASSERT_EQ(login.status, 200) << login.raw;
  const std::string access = login.body["access_token"];
  EXPECT_EQ(Send(*client_, "GET", "/v1/me", std::nullopt, access).body["email_verified"], false);

  // The button: a form POST of the token.
  auto confirmed =
      client_->Post("/verify-email", "token=" + token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->status, 200) << confirmed->body;
  EXPECT_NE(confirmed->body.find("Email address confirmed"), std::string::npos);
  EXPECT_EQ(Send(*client_, "GET", "/v1/me", std::nullopt, access).body["email_verified"], true);
  auto again =
      client_->Post("/verify-email", "token=" + token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400);
  EXPECT_NE(again->body.find("This link does not work"), std::string::npos);
}

TEST_F(VerifyPageE2eTest, MarkupInTheTokenIsEscapedAndAMissingTokenIsA400Page) {
  auto page = client_->Get("/verify-email?token=%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body.find("<script>"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("&quot;&gt;&lt;script&gt;"), std::string::npos) << page->body;
  auto missing = client_->Get("/verify-email");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  auto bad = client_->Post("/verify-email", "token=nope", "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST(VerifyPageRedirectE2eTest, WithAWebAppTheLinkRedirectsThere) {
  auto started = MessengerProcess::Start({{"MESSENGER_WEB_APP_URL", "https://app.example.com"}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  auto r = client->Get("/verify-email?token=abc-DEF_1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"),
            "https://app.example.com/verify-email?token=abc-DEF_1");
}

}  // namespace
}  // namespace messenger::e2e
