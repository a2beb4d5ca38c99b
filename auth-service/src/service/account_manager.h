// Account use cases: register, verify email, resend verification, login.
// Storage, mail, sessions, time and randomness are injected.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "auth-service/src/domain/account_rules.h"
#include "auth-service/src/domain/password_hasher.h"
#include "auth-service/src/mail/mailer.h"
#include "auth-service/src/service/hash_queue.h"
#include "auth-service/src/storage/account_store.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messenger/session/v1/session.pb.h"

namespace messenger::auth {

// The session service as the login flow needs it.
class SessionIssuer {
 public:
  virtual ~SessionIssuer() = default;
  // `device_id` "" lets the session service choose one.
  virtual absl::StatusOr<session::v1::SessionTokens> CreateSession(
      const std::string& user_id, const std::string& device_name,
      const std::string& device_id) = 0;
};

// How a registration goes beyond the /v1 one (Matrix).
struct RegisterOptions {
  bool without_email = false;   // the account has no email; `email` must be ""
  bool create_session = false;  // log in as well
  std::string device_name;
  std::string device_id;
};

struct Registered {
  UserRecord user;
  std::optional<session::v1::SessionTokens> tokens;  // when create_session
};

struct AccountPolicy {
  LockoutPolicy lockout;
  absl::Duration verification_ttl = absl::Hours(24);
  absl::Duration resend_interval = absl::Minutes(1);
  std::string public_url = "http://127.0.0.1:8080";
};

// Answers of the use cases that hash a password: called once, on a thread of
// the HashQueue's Resume (or at once on a refusal).
template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

class AccountManager {
 public:
  AccountManager(AccountStore& store, PasswordHasher& hasher, HashQueue& hashes, Mailer& mailer,
                 SessionIssuer& sessions, AccountPolicy policy, const Clock& clock, Rng& rng)
      : store_(store), hasher_(hasher), hashes_(hashes), mailer_(mailer), sessions_(sessions),
        policy_(std::move(policy)), clock_(clock), rng_(rng) {}

  // Register and Login hash on the HashQueue and finish through `done`; a full
  // queue answers RESOURCE_EXHAUSTED with a retry hint before any other work.
  void Register(std::string username, std::string email, std::string password,
                Callback<Registered> done, RegisterOptions options = {});
  void Login(std::string login, std::string password, std::string device_name,
             Callback<session::v1::SessionTokens> done, std::string device_id = "");
  // OK when `password` is the user's; PERMISSION_DENIED otherwise. Failures
  // count towards the login lockout (a stolen session cannot guess freely).
  void CheckPassword(std::string user_id, std::string password, Callback<bool> done);
  // Checks `old_password` as CheckPassword, then stores the new one.
  void ChangePassword(std::string user_id, std::string old_password, std::string new_password,
                      Callback<bool> done);
  // Checks the password as CheckPassword, then closes the account
  // (user.deactivated with `erase`); true when it was open until now.
  void Deactivate(std::string user_id, std::string password, bool erase, Callback<bool> done);
  absl::StatusOr<VerifiedEmail> VerifyEmail(std::string_view token);
  absl::Status ResendVerification(std::string_view email);
  absl::StatusOr<UserRecord> GetUser(const std::string& user_id);
  absl::StatusOr<UserRecord> GetUserByUsername(const std::string& username);
  // False when taken; INVALID_ARGUMENT when the name breaks the rules.
  absl::StatusOr<bool> UsernameAvailable(std::string_view username);

 private:
  VerificationToken NewVerificationToken(std::string& token_out, absl::Time now);
  void SendVerificationMail(const UserRecord& user, const std::string& token);
  absl::StatusOr<Registered> FinishRegister(UserRecord user, const std::string& hashed,
                                            const RegisterOptions& options);
  // Checks the password of a known user id under the lockout, and stores
  // `new_password` when set and the check passed.
  void VerifyUserPassword(const std::string& user_id, std::string password,
                          std::optional<std::string> new_password, Callback<bool> done);
  absl::StatusOr<session::v1::SessionTokens> FinishLogin(const std::string& user_id,
                                                         const std::string& device_name,
                                                         const std::string& device_id,
                                                         bool password_ok);

  AccountStore& store_;
  PasswordHasher& hasher_;
  HashQueue& hashes_;
  Mailer& mailer_;
  SessionIssuer& sessions_;
  AccountPolicy policy_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace messenger::auth
