#include "auth-service/src/mail/maildir_mailer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/testing/testing.h"

namespace messenger::auth {
namespace {

TEST(MaildirMailer, WritesOneRfc5322FileIntoNew) {
  testing::TempDir dir;
  FakeClock clock;
  MaildirMailer mailer(dir.path() + "/mail", "localhost", clock);
  ASSERT_TRUE(mailer.Init().ok());
  ASSERT_TRUE(mailer.Send(VerificationMail("a@example.com", "alice", "TOKEN123",
                                           "http://127.0.0.1:8080"))
                  .ok());
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/mail/new")) {
    files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/mail/tmp"));
  std::ifstream in(files[0], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string mail = text.str();
  EXPECT_EQ(mail.rfind("From: Messenger <no-reply@localhost>\r\n", 0), 0u) << mail;
  EXPECT_NE(mail.find("\r\nTo: <a@example.com>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("\r\nSubject: Verify your email address\r\n"), std::string::npos);
  EXPECT_NE(mail.find("\r\nDate: "), std::string::npos);
  EXPECT_NE(mail.find("\r\nMessage-ID: <"), std::string::npos);
  // Headers end with an empty line; the token sits on a line of its own.
  const size_t body = mail.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(mail.find("\r\nVerification-Token: TOKEN123\r\n", body), std::string::npos);
  EXPECT_NE(mail.find("http://127.0.0.1:8080/verify-email?token=TOKEN123"), std::string::npos);
  // No bare LF anywhere.
  for (size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\n') {
      ASSERT_TRUE(i > 0 && mail[i - 1] == '\r') << "bare LF at " << i;
    }
  }
}

TEST(MaildirMailer, HeaderInjectionIsDefused) {
  FakeClock clock;
  MaildirMailer mailer("/nonexistent", "localhost", clock);
  const std::string text =
      mailer.Render({"a@example.com\r\nBcc: evil@example.com", "s\nX-Evil: 1", "body"}, "id");
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(text.find("\r\nX-Evil:"), std::string::npos);
}

}  // namespace
}  // namespace messenger::auth
