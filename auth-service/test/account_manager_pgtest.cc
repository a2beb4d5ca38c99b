// AccountManager over PgAccountStore against a real PostgreSQL, with a maildir
// in a temporary directory and a recording session issuer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth-service/src/mail/maildir_mailer.h"
#include "auth-service/src/service/account_manager.h"
#include "auth-service/src/storage/pg_account_store.h"
#include "auth_migrations.h"
#include "common/bus/outbox.h"
#include "common/pg/migrations.h"
#include "common/status_mapping.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"

namespace messenger::auth {
namespace {

class RecordingIssuer final : public SessionIssuer {
 public:
  absl::StatusOr<session::v1::SessionTokens> CreateSession(const std::string& user_id,
                                                           const std::string& device) override {
    ++calls;
    session::v1::SessionTokens tokens;
    tokens.set_user_id(user_id);
    tokens.set_session_id("s-" + device);
    return tokens;
  }
  int calls = 0;
};

constexpr pg::Query kOutbox{"t_outbox", "SELECT subject, payload FROM outbox ORDER BY seq"};
constexpr pg::Query kDump{"t_dump",
                          "SELECT password_hash || ' ' || coalesce(string_agg(encode(v.token_hash, "
                          "'escape'), ' '), '') FROM users u LEFT JOIN email_verifications v "
                          "USING (user_id) GROUP BY password_hash"};

class AccountManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto pool = pg::Pool::Create({.dsn = db_->dsn(), .size = 4, .schema = "auth"});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
    ASSERT_TRUE(pg::Migrate(*pool_, {&pg::OutboxMigrations(), &pg::AuthMigrations()}).ok());
    store_ = std::make_unique<PgAccountStore>(*pool_, outbox_);
    mailer_ = std::make_unique<MaildirMailer>(mail_dir_.path(), "localhost", clock_);
    ASSERT_TRUE(mailer_->Init().ok());
    AccountPolicy policy;
    policy.lockout = {.max_failures = 3, .window = absl::Minutes(10), .lockout = absl::Minutes(5)};
    manager_ = std::make_unique<AccountManager>(*store_, hasher_, *mailer_, issuer_, policy,
                                                clock_, SecureRng::Instance());
  }

  // Tokens of the mails in the maildir, oldest first.
  std::vector<std::string> MailedTokens() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(mail_dir_.path() + "/new")) {
      files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> tokens;
    for (const auto& f : files) {
      std::ifstream in(f);
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind("Verification-Token: ", 0) == 0) {
          std::string token = line.substr(20);
          if (!token.empty() && token.back() == '\r') token.pop_back();
          tokens.push_back(token);
        }
      }
    }
    return tokens;
  }

  std::vector<std::string> OutboxSubjects() {
    std::vector<std::string> out;
    auto r = pool_->Exec(kOutbox);
    for (int i = 0; i < r->rows(); ++i) out.push_back(r->GetString(i, 0));
    return out;
  }

  FakeClock clock_{absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()))};
  testing::TempDir mail_dir_;
  bus::Outbox outbox_;
  PasswordHasher hasher_{{.opslimit = 1, .memlimit = 8 * 1024}};
  RecordingIssuer issuer_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgAccountStore> store_;
  std::unique_ptr<MaildirMailer> mailer_;
  std::unique_ptr<AccountManager> manager_;
};

TEST_F(AccountManagerTest, RegisterStoresNoSecretInClearAndMailsAToken) {
  auto user = manager_->Register("Alice", "Alice@Example.com", "correct horse");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->username, "alice");
  EXPECT_FALSE(user->email_verified_at.has_value());
  auto tokens = MailedTokens();
  ASSERT_EQ(tokens.size(), 1u);
  auto dump = pool_->Exec(kDump);
  ASSERT_TRUE(dump.ok());
  const std::string stored = dump->GetString(0, 0);
  EXPECT_EQ(stored.find("correct horse"), std::string::npos);
  EXPECT_EQ(stored.find(tokens[0]), std::string::npos);
  EXPECT_EQ(OutboxSubjects(), std::vector<std::string>{"user.created"});
}

TEST_F(AccountManagerTest, DuplicatesAreCaseInsensitive) {
  ASSERT_TRUE(manager_->Register("alice", "alice@example.com", "password1").ok());
  auto same_name = manager_->Register("ALICE", "other@example.com", "password1");
  EXPECT_EQ(same_name.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_name.status().message(), "username is taken");
  auto same_mail = manager_->Register("alice2", "ALICE@EXAMPLE.COM", "password1");
  EXPECT_EQ(same_mail.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_mail.status().message(), "email is already registered");
  EXPECT_EQ(OutboxSubjects().size(), 1u);
}

TEST_F(AccountManagerTest, VerifyOnceThenTheTokenIsSpent) {
  auto user = manager_->Register("bob", "bob@example.com", "password1");
  ASSERT_TRUE(user.ok());
  const std::string token = MailedTokens().at(0);
  EXPECT_EQ(manager_->VerifyEmail("wrong").status().code(), absl::StatusCode::kInvalidArgument);
  auto verified = manager_->VerifyEmail(token);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->user_id, user->user_id);
  EXPECT_TRUE(manager_->GetUser(user->user_id)->email_verified_at.has_value());
  EXPECT_EQ(manager_->VerifyEmail(token).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OutboxSubjects(), (std::vector<std::string>{"user.created", "user.email_verified"}));
}

TEST_F(AccountManagerTest, ExpiredTokenIsRefused) {
  ASSERT_TRUE(manager_->Register("carol", "carol@example.com", "password1").ok());
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(manager_->VerifyEmail(MailedTokens().at(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AccountManagerTest, ResendAtMostOncePerMinuteAndOnlyTheNewTokenWorks) {
  ASSERT_TRUE(manager_->Register("dave", "dave@example.com", "password1").ok());
  EXPECT_TRUE(manager_->ResendVerification("dave@example.com").ok());
  EXPECT_EQ(MailedTokens().size(), 1u);  // too soon after registering
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(manager_->ResendVerification("DAVE@example.com").ok());
  auto tokens = MailedTokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(manager_->ResendVerification("nobody@example.com").ok());  // no enumeration
  EXPECT_EQ(MailedTokens().size(), 2u);
  EXPECT_FALSE(manager_->VerifyEmail(tokens[0]).ok());
  EXPECT_TRUE(manager_->VerifyEmail(tokens[1]).ok());
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(manager_->ResendVerification("dave@example.com").ok());
  EXPECT_EQ(MailedTokens().size(), 2u);  // verified: nothing to send
}

TEST_F(AccountManagerTest, LoginByUsernameOrEmailWithOneErrorForEveryFailure) {
  auto user = manager_->Register("erin", "erin@example.com", "password1");
  ASSERT_TRUE(user.ok());
  auto by_name = manager_->Login("ERIN", "password1", "phone");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->user_id(), user->user_id);
  EXPECT_EQ(by_name->session_id(), "s-phone");
  EXPECT_TRUE(manager_->Login("erin@EXAMPLE.com", "password1", "web").ok());
  auto wrong = manager_->Login("erin", "password2", "");
  auto unknown = manager_->Login("nobody", "password1", "");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(issuer_.calls, 2);
}

TEST_F(AccountManagerTest, RepeatedFailuresLockTheAccountForAWhile) {
  ASSERT_TRUE(manager_->Register("frank", "frank@example.com", "password1").ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(manager_->Login("frank", "nope-nope", "").status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  // Locked: even the right password is refused, and the answer says for how long.
  const absl::Status locked = manager_->Login("frank", "password1", "").status();
  EXPECT_EQ(locked.code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(RetryAfter(locked).has_value()) << locked;
  EXPECT_GT(*RetryAfter(locked), absl::Minutes(1));
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(manager_->Login("frank", "password1", "").ok());
  // Success clears the count: two more failures do not lock.
  EXPECT_FALSE(manager_->Login("frank", "nope-nope", "").ok());
  EXPECT_FALSE(manager_->Login("frank", "nope-nope", "").ok());
  EXPECT_TRUE(manager_->Login("frank", "password1", "").ok());
}

TEST_F(AccountManagerTest, InvalidRegistrationsChangeNothing) {
  EXPECT_EQ(manager_->Register("ab", "a@example.com", "password1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Register("abc", "not-an-email", "password1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Register("abc", "a@example.com", "short").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(OutboxSubjects().empty());
  EXPECT_TRUE(MailedTokens().empty());
}

}  // namespace
}  // namespace messenger::auth
