#include "auth-service/src/service/account_manager.h"

#include "auth-service/src/events/auth_events.h"
#include "common/log.h"
#include "common/status_mapping.h"
#include "common/status.h"

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

void AccountManager::Register(std::string username, std::string email, std::string password,
                              Callback<UserRecord> done) {
  auto checked = [&]() -> absl::StatusOr<UserRecord> {
    UserRecord user;
    ASSIGN_OR_RETURN(user.username, NormalizeUsername(username));
    ASSIGN_OR_RETURN(user.email, NormalizeEmail(email));
    RETURN_IF_ERROR(ValidatePassword(password));
    return user;
  }();
  if (!checked.ok()) return done(checked.status());
  absl::StatusOr<HashQueue::Ticket> ticket = hashes_.Admit();
  if (!ticket.ok()) return done(ticket.status());
  auto hashed = std::make_shared<absl::StatusOr<std::string>>();
  hashes_.Run(
      std::move(*ticket), [this, hashed, password = std::move(password)] { *hashed = hasher_.Hash(password); },
      [this, hashed, user = std::move(*checked), done = std::move(done)](absl::Status resumed) {
        if (!resumed.ok()) return done(resumed);
        if (!hashed->ok()) return done(hashed->status());
        done(FinishRegister(user, **hashed));
      });
}

absl::StatusOr<UserRecord> AccountManager::FinishRegister(UserRecord user,
                                                          const std::string& hashed) {
  user.password_hash = hashed;
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

void AccountManager::Login(std::string login, std::string password, std::string device_name,
                           Callback<session::v1::SessionTokens> done) {
  if (login.empty() || login.size() > 254 || password.empty() || password.size() > 1024) {
    return done(absl::UnauthenticatedError(kBadLogin));
  }
  // A place in the hash queue first: a refused login has done nothing.
  absl::StatusOr<HashQueue::Ticket> ticket = hashes_.Admit();
  if (!ticket.ok()) return done(ticket.status());
  absl::StatusOr<std::optional<UserRecord>> user =
      LoginIsEmail(login) ? store_.FindByEmail(login) : store_.FindByUsername(login);
  if (!user.ok()) return done(user.status());
  if (!user->has_value()) {
    hashes_.Run(
        std::move(*ticket), [this, password = std::move(password)] { hasher_.VerifyDummy(password); },
        [done = std::move(done)](absl::Status resumed) {
          done(resumed.ok() ? absl::UnauthenticatedError(kBadLogin) : resumed);
        });
    return;
  }
  // Counted as a failure before the check, so parallel guesses cannot pass
  // the limit; a correct password clears it.
  absl::StatusOr<AttemptReservation> attempt =
      store_.ReserveLoginAttempt((*user)->user_id, clock_.Now(), policy_.lockout);
  if (!attempt.ok()) return done(attempt.status());
  if (!attempt->allowed) {
    return done(RetryLaterError("too many failed logins; try again later", attempt->retry_after));
  }
  auto verified = std::make_shared<bool>(false);
  hashes_.Run(
      std::move(*ticket),
      [this, verified, hash = (*user)->password_hash, password = std::move(password)] {
        *verified = hasher_.Verify(hash, password);
      },
      [this, verified, user_id = (*user)->user_id, device_name = std::move(device_name),
       done = std::move(done)](absl::Status resumed) {
        if (!resumed.ok()) return done(resumed);
        done(FinishLogin(user_id, device_name, *verified));
      });
}

absl::StatusOr<session::v1::SessionTokens> AccountManager::FinishLogin(
    const std::string& user_id, const std::string& device_name, bool password_ok) {
  if (!password_ok) return absl::UnauthenticatedError(kBadLogin);
  RETURN_IF_ERROR(store_.ClearFailures(user_id));
  return sessions_.CreateSession(user_id, device_name);
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
