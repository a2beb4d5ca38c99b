// Storage of accounts, verification tokens and failed-login windows
// (interface). Every method is one transaction; events commit with the change.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth-service/src/domain/account_rules.h"
#include "common/bus/event.h"

namespace messenger::auth {

struct UserRecord {
  std::string user_id;
  std::string username;
  std::string email;  // "" for an account made without one (Matrix registration)
  std::string password_hash;
  absl::Time created_at;
  std::optional<absl::Time> email_verified_at;
  std::optional<absl::Time> verification_sent_at;
  std::optional<absl::Time> deactivated_at;  // set once the account is closed
};

struct VerificationToken {
  std::string hash;  // SHA-256, raw bytes
  absl::Time expires_at;
};

struct VerifiedEmail {
  std::string user_id;
  std::string email;
  bool newly_verified = false;
};

using VerifiedEventFactory = std::function<absl::StatusOr<bus::Event>(const VerifiedEmail&)>;

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // ALREADY_EXISTS ("username is taken" / "email is already registered").
  // Without an email, `token` is not stored.
  virtual absl::Status CreateUser(const UserRecord& user, const VerificationToken& token,
                                  const bus::Event& created) = 0;
  virtual absl::StatusOr<std::optional<UserRecord>> FindById(const std::string& user_id) = 0;
  // Case-insensitive.
  virtual absl::StatusOr<std::optional<UserRecord>> FindByUsername(const std::string& username) = 0;
  virtual absl::StatusOr<std::optional<UserRecord>> FindByEmail(const std::string& email) = 0;

  // Marks the token used and the email verified (event from `verified` when it
  // was not verified before). nullopt for an unknown, used or expired token.
  virtual absl::StatusOr<std::optional<VerifiedEmail>> ConsumeVerification(
      const std::string& token_hash, absl::Time now, const VerifiedEventFactory& verified) = 0;

  // Replaces the unused tokens of an unverified user by `token` unless a mail
  // went out less than `min_interval` ago. False when nothing was done.
  virtual absl::StatusOr<bool> ReplaceVerification(const std::string& user_id,
                                                   const VerificationToken& token, absl::Time now,
                                                   absl::Duration min_interval) = 0;

  // Counts a login attempt before its password is checked (ReserveAttempt),
  // under the account's row lock: concurrent attempts are serialised.
  virtual absl::StatusOr<AttemptReservation> ReserveLoginAttempt(const std::string& user_id,
                                                                 absl::Time now,
                                                                 const LockoutPolicy& policy) = 0;
  virtual absl::Status ClearFailures(const std::string& user_id) = 0;
  // NOT_FOUND for an unknown user.
  virtual absl::Status SetPasswordHash(const std::string& user_id,
                                       const std::string& password_hash) = 0;
  // Marks the account deactivated at `at` with `deactivated` in the same
  // transaction. False (and no event) when it already was; NOT_FOUND for an
  // unknown user.
  virtual absl::StatusOr<bool> Deactivate(const std::string& user_id, absl::Time at,
                                          const bus::Event& deactivated) = 0;
};

}  // namespace messenger::auth
