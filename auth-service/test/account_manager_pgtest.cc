// AccountManager over PgAccountStore against a real PostgreSQL, with a maildir
// in a temporary directory and a recording session issuer.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "auth-service/src/mail/maildir_mailer.h"
#include "auth-service/src/service/account_manager.h"
#include "auth-service/src/storage/pg_account_store.h"
#include "auth_migrations.h"
#include "common/bus/outbox.h"
#include "common/status_mapping.h"
#include "common/pg/migrations.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"

namespace messenger::auth {
namespace {

class RecordingIssuer final : public SessionIssuer {
 public:
  absl::StatusOr<session::v1::SessionTokens> CreateSession(const std::string& user_id,
                                                           const std::string& device,
                                                           const std::string& device_id) override {
    ++calls;
    session::v1::SessionTokens tokens;
    tokens.set_user_id(user_id);
    tokens.set_session_id("s-" + device);
    tokens.set_device_id(device_id.empty() ? "GENERATED" : device_id);
    return tokens;
  }
  int calls = 0;
};

// argon2 at the smallest cost, counting the password checks.
class CountingHasher final : public PasswordHasher {
 public:
  absl::StatusOr<std::string> Hash(std::string_view password) override {
    return argon2_.Hash(password);
  }
  bool Verify(std::string_view encoded, std::string_view password) override {
    ++verifies;
    return argon2_.Verify(encoded, password);
  }
  void VerifyDummy(std::string_view password) override { argon2_.VerifyDummy(password); }
  std::atomic<int> verifies{0};

 private:
  Argon2Hasher argon2_{{.opslimit = 1, .memlimit = 8 * 1024}};
};

constexpr pg::Query kOutbox{"t_outbox", "SELECT subject, payload FROM outbox ORDER BY seq"};
constexpr pg::Query kDump{"t_dump",
                          "SELECT password_hash || ' ' || coalesce(string_agg(encode(v.token_hash, "
                          "'escape'), ' '), '') FROM users u LEFT JOIN email_verifications v "
                          "USING (user_id) GROUP BY password_hash"};

class AccountManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status opened = testing::OpenTestDatabase(
        "auth", 4, {&pg::OutboxMigrations(), &pg::AuthMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    store_ = std::make_unique<PgAccountStore>(*pool_, outbox_);
    mailer_ = std::make_unique<MaildirMailer>(mail_dir_.path(), "localhost", clock_);
    ASSERT_TRUE(mailer_->Init().ok());
    AccountPolicy policy;
    policy.lockout = {.max_failures = 3, .window = absl::Minutes(10), .lockout = absl::Minutes(5)};
    manager_ = std::make_unique<AccountManager>(*store_, hasher_, hashes_, *mailer_, issuer_,
                                                policy, clock_, SecureRng::Instance());
  }

  // The asynchronous use cases, awaited.
  absl::StatusOr<UserRecord> Register(std::string username, std::string email,
                                      std::string password) {
    absl::StatusOr<Registered> registered =
        RegisterWith(std::move(username), std::move(email), std::move(password), {});
    if (!registered.ok()) return registered.status();
    return registered->user;
  }
  absl::StatusOr<Registered> RegisterWith(std::string username, std::string email,
                                          std::string password, RegisterOptions options) {
    std::promise<absl::StatusOr<Registered>> answer;
    manager_->Register(
        std::move(username), std::move(email), std::move(password),
        [&answer](absl::StatusOr<Registered> r) { answer.set_value(std::move(r)); },
        std::move(options));
    return answer.get_future().get();
  }
  absl::StatusOr<session::v1::SessionTokens> Login(std::string login, std::string password,
                                                   std::string device) {
    std::promise<absl::StatusOr<session::v1::SessionTokens>> answer;
    manager_->Login(std::move(login), std::move(password), std::move(device),
                    [&answer](absl::StatusOr<session::v1::SessionTokens> r) {
                      answer.set_value(std::move(r));
                    });
    return answer.get_future().get();
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
  CountingHasher hasher_;
  // Work after a hash continues on the hashing thread.
  HashQueue hashes_{2, 64, [](std::function<void()> next) {
                      next();
                      return true;
                    }};
  RecordingIssuer issuer_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgAccountStore> store_;
  std::unique_ptr<MaildirMailer> mailer_;
  std::unique_ptr<AccountManager> manager_;
};

TEST_F(AccountManagerTest, RegisterStoresNoSecretInClearAndMailsAToken) {
  auto user = Register("Alice", "Alice@Example.com", "correct horse");
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
  ASSERT_TRUE(Register("alice", "alice@example.com", "password1").ok());
  auto same_name = Register("ALICE", "other@example.com", "password1");
  EXPECT_EQ(same_name.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_name.status().message(), "username is taken");
  auto same_mail = Register("alice2", "ALICE@EXAMPLE.COM", "password1");
  EXPECT_EQ(same_mail.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_mail.status().message(), "email is already registered");
  EXPECT_EQ(OutboxSubjects().size(), 1u);
}

TEST_F(AccountManagerTest, VerifyOnceThenTheTokenIsSpent) {
  auto user = Register("bob", "bob@example.com", "password1");
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
  ASSERT_TRUE(Register("carol", "carol@example.com", "password1").ok());
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(manager_->VerifyEmail(MailedTokens().at(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AccountManagerTest, ResendAtMostOncePerMinuteAndOnlyTheNewTokenWorks) {
  ASSERT_TRUE(Register("dave", "dave@example.com", "password1").ok());
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
  auto user = Register("erin", "erin@example.com", "password1");
  ASSERT_TRUE(user.ok());
  auto by_name = Login("ERIN", "password1", "phone");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->user_id(), user->user_id);
  EXPECT_EQ(by_name->session_id(), "s-phone");
  EXPECT_TRUE(Login("erin@EXAMPLE.com", "password1", "web").ok());
  auto wrong = Login("erin", "password2", "");
  auto unknown = Login("nobody", "password1", "");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(issuer_.calls, 2);
}

TEST_F(AccountManagerTest, RepeatedFailuresLockTheAccountForAWhile) {
  ASSERT_TRUE(Register("frank", "frank@example.com", "password1").ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Login("frank", "nope-nope", "").status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  // Locked: even the right password is refused, with the rest of the lockout.
  auto locked = Login("frank", "password1", "");
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfter(locked.status()), absl::Minutes(5));
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(RetryAfter(Login("frank", "password1", "").status()), absl::Minutes(3));
  clock_.Advance(absl::Minutes(3));
  EXPECT_TRUE(Login("frank", "password1", "").ok());
  // Success clears the count: two more failures do not lock.
  EXPECT_FALSE(Login("frank", "nope-nope", "").ok());
  EXPECT_FALSE(Login("frank", "nope-nope", "").ok());
  EXPECT_TRUE(Login("frank", "password1", "").ok());
}

// The lockout bypass: the count was read before the check and written after
// it, so parallel guesses were all checked (8 of 24 with a limit of 5).
// Without the reservation this test checks up to 24 passwords.
TEST_F(AccountManagerTest, ParallelWrongPasswordsAreCheckedOnlyUpToTheLimit) {
  ASSERT_TRUE(Register("grace", "grace@example.com", "password1").ok());
  const int before = hasher_.verifies.load();
  constexpr int kGuesses = 24;
  std::vector<absl::StatusOr<session::v1::SessionTokens>> results(kGuesses);
  std::vector<std::thread> threads;
  for (int i = 0; i < kGuesses; ++i) {
    threads.emplace_back([&, i] { results[i] = Login("grace", "wrong-guess-" + std::to_string(i), ""); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(hasher_.verifies.load() - before, 3);  // max_failures of the fixture
  int unauthenticated = 0, limited = 0;
  for (const auto& r : results) {
    if (r.status().code() == absl::StatusCode::kUnauthenticated) ++unauthenticated;
    if (r.status().code() == absl::StatusCode::kResourceExhausted) {
      ++limited;
      EXPECT_EQ(RetryAfter(r.status()), absl::Minutes(5));  // the clock stands still
    }
  }
  EXPECT_EQ(unauthenticated, 3);
  EXPECT_EQ(limited, kGuesses - 3);
  // The right password is refused too until the lockout is over.
  EXPECT_EQ(Login("grace", "password1", "").status().code(), absl::StatusCode::kResourceExhausted);
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(Login("grace", "password1", "").ok());
}

TEST_F(AccountManagerTest, ARightPasswordAmongReservedAttemptsStillLogsIn) {
  ASSERT_TRUE(Register("heidi", "heidi@example.com", "password1").ok());
  EXPECT_FALSE(Login("heidi", "nope-nope", "").ok());
  EXPECT_FALSE(Login("heidi", "nope-nope", "").ok());
  // The third attempt takes the last place (and would lock), but it is right.
  EXPECT_TRUE(Login("heidi", "password1", "").ok());
  EXPECT_FALSE(Login("heidi", "nope-nope", "").ok());
  EXPECT_EQ(Login("heidi", "nope-nope", "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AccountManagerTest, InvalidRegistrationsChangeNothing) {
  EXPECT_EQ(Register("ab", "a@example.com", "password1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Register("abc", "not-an-email", "password1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Register("abc", "a@example.com", "short").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(OutboxSubjects().empty());
  EXPECT_TRUE(MailedTokens().empty());
}

}  // namespace
}  // namespace messenger::auth

namespace messenger::auth {
namespace {

// The password use cases of Matrix user-interactive auth, awaited.
absl::Status Await(const std::function<void(Callback<bool>)>& start) {
  std::promise<absl::Status> answer;
  start([&answer](absl::StatusOr<bool> r) { answer.set_value(r.status()); });
  return answer.get_future().get();
}

TEST_F(AccountManagerTest, AccountsWithoutEmailMailNothingAndMayLogInAtOnce) {
  auto first = RegisterWith("mxone", "", "password1",
                            {.without_email = true, .create_session = true,
                             .device_name = "phone", .device_id = "PHONE"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->user.email, "");
  ASSERT_TRUE(first->tokens.has_value());
  EXPECT_EQ(first->tokens->device_id(), "PHONE");
  EXPECT_EQ(first->tokens->user_id(), first->user.user_id);
  // Any number of accounts may lack an email.
  auto second = RegisterWith("mxtwo", "", "password1", {.without_email = true});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->tokens.has_value());
  EXPECT_TRUE(MailedTokens().empty());
  auto found = manager_->GetUserByUsername("mxtwo");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->email, "");
  EXPECT_TRUE(Login("mxtwo", "password1", "").ok());
  // /v1 registrations still need one; without_email takes none.
  EXPECT_EQ(Register("mxthree", "", "password1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RegisterWith("mxfour", "a@example.com", "password1", {.without_email = true})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AccountManagerTest, UsernameAvailability) {
  ASSERT_TRUE(Register("taken", "taken@example.com", "password1").ok());
  EXPECT_FALSE(*manager_->UsernameAvailable("TAKEN"));
  EXPECT_TRUE(*manager_->UsernameAvailable("free"));
  auto bad = manager_->UsernameAvailable("no way!");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "username"));
}

TEST_F(AccountManagerTest, CheckAndChangePassword) {
  auto user = Register("pat", "pat@example.com", "password1");
  ASSERT_TRUE(user.ok());
  const std::string id = user->user_id;
  auto check = [&](std::string password) {
    return Await([&](Callback<bool> done) { manager_->CheckPassword(id, password, done); });
  };
  EXPECT_TRUE(check("password1").ok());
  EXPECT_EQ(check("password2").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Await([&](Callback<bool> done) {
              manager_->ChangePassword(id, "password1", "short", done);
            }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Await([&](Callback<bool> done) {
              manager_->ChangePassword(id, "wrong-one", "password2", done);
            }).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Await([&](Callback<bool> done) {
                manager_->ChangePassword(id, "password1", "password2", done);
              }).ok());
  EXPECT_FALSE(Login("pat", "password1", "").ok());
  EXPECT_TRUE(Login("pat", "password2", "").ok());
  // Wrong passwords count towards the lockout (3 in this fixture).
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(check("guess").ok());
  EXPECT_EQ(check("password2").code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(AccountManagerTest, DeactivationClosesTheAccountOnceAndKeepsTheName) {
  auto user = Register("gone", "gone@example.com", "password1");
  ASSERT_TRUE(user.ok());
  const std::string id = user->user_id;
  auto deactivate = [&](std::string password) {
    std::promise<absl::StatusOr<bool>> answer;
    manager_->Deactivate(id, password, true,
                         [&answer](absl::StatusOr<bool> r) { answer.set_value(r); });
    return answer.get_future().get();
  };
  EXPECT_EQ(deactivate("wrong-one").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Login("gone", "password1", "").ok()) << "a wrong password closes nothing";
  const size_t before = OutboxSubjects().size();
  auto first = deactivate("password1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  auto second = deactivate("password1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(*second) << "idempotent";
  std::vector<std::string> subjects = OutboxSubjects();
  ASSERT_EQ(subjects.size(), before + 1) << "one event for two calls";
  EXPECT_EQ(subjects.back(), "user.deactivated");
  // The right password by username or email answers as a wrong one.
  auto by_name = Login("gone", "password1", "");
  auto by_email = Login("gone@example.com", "password1", "");
  auto wrong = Login("gone", "password2", "");
  for (const auto* refused : {&by_name, &by_email}) {
    EXPECT_EQ(refused->status().code(), wrong.status().code());
    EXPECT_EQ(refused->status().message(), wrong.status().message());
  }
  EXPECT_FALSE(*manager_->UsernameAvailable("gone")) << "a user id is never reused";
  EXPECT_EQ(Register("gone", "other@example.com", "password1").status().code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace messenger::auth
