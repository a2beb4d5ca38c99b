// Account use cases: register, verify email, resend verification, login.
// Storage, mail, sessions, time and randomness are injected.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "auth-service/src/domain/account_rules.h"
#include "auth-service/src/domain/password_hasher.h"
#include "auth-service/src/mail/mailer.h"
#include "auth-service/src/storage/account_store.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messenger/session/v1/session.pb.h"

namespace messenger::auth {

// The session service as the login flow needs it.
class SessionIssuer {
 public:
  virtual ~SessionIssuer() = default;
  virtual absl::StatusOr<session::v1::SessionTokens> CreateSession(const std::string& user_id,
                                                                   const std::string& device_name) = 0;
};

struct AccountPolicy {
  LockoutPolicy lockout;
  absl::Duration verification_ttl = absl::Hours(24);
  absl::Duration resend_interval = absl::Minutes(1);
  std::string public_url = "http://127.0.0.1:8080";
};

class AccountManager {
 public:
  AccountManager(AccountStore& store, PasswordHasher& hasher, Mailer& mailer,
                 SessionIssuer& sessions, AccountPolicy policy, const Clock& clock, Rng& rng)
      : store_(store), hasher_(hasher), mailer_(mailer), sessions_(sessions),
        policy_(std::move(policy)), clock_(clock), rng_(rng) {}

  absl::StatusOr<UserRecord> Register(std::string_view username, std::string_view email,
                                      std::string_view password);
  absl::StatusOr<VerifiedEmail> VerifyEmail(std::string_view token);
  absl::Status ResendVerification(std::string_view email);
  absl::StatusOr<session::v1::SessionTokens> Login(std::string_view login,
                                                   std::string_view password,
                                                   const std::string& device_name);
  absl::StatusOr<UserRecord> GetUser(const std::string& user_id);
  absl::StatusOr<UserRecord> GetUserByUsername(const std::string& username);

 private:
  VerificationToken NewVerificationToken(std::string& token_out, absl::Time now);
  void SendVerificationMail(const UserRecord& user, const std::string& token);

  AccountStore& store_;
  PasswordHasher& hasher_;
  Mailer& mailer_;
  SessionIssuer& sessions_;
  AccountPolicy policy_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace messenger::auth
