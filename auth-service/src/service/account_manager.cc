#include "auth-service/src/service/account_manager.h"

#include "auth-service/src/events/auth_events.h"
#include "common/log.h"
#include "common/status.h"
#include "common/status_mapping.h"

namespace messenger::auth {
namespace {

// The same answer for an unknown login and a wrong password.
constexpr char kBadLogin[] = "invalid login or password";

}  // namespace

VerificationToken AccountManager::NewVerificationToken(std::string& token_out, absl::Time now) {
  token_out = RandomToken(rng_, 32);
  return {Sha256(token_out), now + policy_.verification_ttl};
}

void AccountManager::SendVerificationMail(const UserRecord& user, const std::string& token) {
  // After the commit: a failed mail is logged and the user can ask again.
  absl::Status sent =
      mailer_.Send(VerificationMail(user.email, user.username, token, policy_.public_url));
  if (!sent.ok()) {
    log::Error("verification mail not sent",
               {{"user_id", user.user_id}, {"error", std::string(sent.message())}});
  }
}

absl::StatusOr<UserRecord> AccountManager::Register(std::string_view username,
                                                    std::string_view email,
                                                    std::string_view password) {
  UserRecord user;
  ASSIGN_OR_RETURN(user.username, NormalizeUsername(username));
  ASSIGN_OR_RETURN(user.email, NormalizeEmail(email));
  RETURN_IF_ERROR(ValidatePassword(password));
  ASSIGN_OR_RETURN(user.password_hash, hasher_.Hash(password));
  user.user_id = NewUuid(rng_);
  user.created_at = clock_.Now();
  std::string token;
  const VerificationToken verification = NewVerificationToken(token, user.created_at);
  ASSIGN_OR_RETURN(bus::Event created, UserCreatedEvent(user, clock_, rng_));
  RETURN_IF_ERROR(store_.CreateUser(user, verification, created));
  user.verification_sent_at = user.created_at;
  SendVerificationMail(user, token);
  log::Info("user registered", {{"user_id", user.user_id}});
  return user;
}

absl::StatusOr<VerifiedEmail> AccountManager::VerifyEmail(std::string_view token) {
  const auto invalid = [] {
    return absl::InvalidArgumentError("unknown, used or expired verification token");
  };
  if (token.empty() || token.size() > 128) return invalid();
  const absl::Time now = clock_.Now();
  auto event = [&](const VerifiedEmail& verified) {
    return UserEmailVerifiedEvent(verified, now, clock_, rng_);
  };
  ASSIGN_OR_RETURN(std::optional<VerifiedEmail> verified,
                   store_.ConsumeVerification(Sha256(token), now, event));
  if (!verified) return invalid();
  return *verified;
}

absl::Status AccountManager::ResendVerification(std::string_view email) {
  auto normalized = NormalizeEmail(email);
  if (!normalized.ok()) return normalized.status();  // malformed input is still an error
  ASSIGN_OR_RETURN(std::optional<UserRecord> user, store_.FindByEmail(*normalized));
  // Unknown, verified or too soon: the same silent success (no enumeration).
  if (!user || user->email_verified_at) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  std::string token;
  const VerificationToken verification = NewVerificationToken(token, now);
  ASSIGN_OR_RETURN(bool replaced, store_.ReplaceVerification(user->user_id, verification, now,
                                                             policy_.resend_interval));
  if (replaced) SendVerificationMail(*user, token);
  return absl::OkStatus();
}

absl::StatusOr<session::v1::SessionTokens> AccountManager::Login(std::string_view login,
                                                                 std::string_view password,
                                                                 const std::string& device_name) {
  if (login.empty() || login.size() > 254 || password.empty() || password.size() > 1024) {
    return absl::UnauthenticatedError(kBadLogin);
  }
  std::optional<UserRecord> user;
  if (LoginIsEmail(login)) {
    ASSIGN_OR_RETURN(user, store_.FindByEmail(std::string(login)));
  } else {
    ASSIGN_OR_RETURN(user, store_.FindByUsername(std::string(login)));
  }
  if (!user) {
    hasher_.VerifyDummy(password);
    return absl::UnauthenticatedError(kBadLogin);
  }
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::optional<FailureRecord> failures, store_.GetFailures(user->user_id));
  if (IsLockedOut(failures, now)) {
    return RetryLaterError("too many failed logins; try again later",
                           *failures->locked_until - now);
  }
  if (!hasher_.Verify(user->password_hash, password)) {
    ASSIGN_OR_RETURN(FailureRecord record,
                     store_.AddFailure(user->user_id, clock_.Now(), policy_.lockout));
    if (IsLockedOut(record, clock_.Now())) {
      log::Warn("account locked after failed logins", {{"user_id", user->user_id}});
    }
    return absl::UnauthenticatedError(kBadLogin);
  }
  if (failures) RETURN_IF_ERROR(store_.ClearFailures(user->user_id));
  return sessions_.CreateSession(user->user_id, device_name);
}

absl::StatusOr<UserRecord> AccountManager::GetUser(const std::string& user_id) {
  if (!IsUuid(user_id)) return absl::NotFoundError("no such user");
  ASSIGN_OR_RETURN(std::optional<UserRecord> user, store_.FindById(user_id));
  if (!user) return absl::NotFoundError("no such user");
  return *user;
}

absl::StatusOr<UserRecord> AccountManager::GetUserByUsername(const std::string& username) {
  ASSIGN_OR_RETURN(std::optional<UserRecord> user, store_.FindByUsername(username));
  if (!user) return absl::NotFoundError("no such user");
  return *user;
}

}  // namespace messenger::auth
