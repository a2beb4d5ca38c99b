#include "auth-service/src/service/account_manager.h"

#include "auth-service/src/events/auth_events.h"
#include "common/log.h"
#include "common/status_mapping.h"
#include "common/status.h"

namespace messenger::auth {
namespace {

// The same answer for an unknown login and a wrong password.
constexpr char kBadLogin[] = "invalid login or password";
constexpr char kBadPassword[] = "wrong password";

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
                              Callback<Registered> done, RegisterOptions options) {
  auto checked = [&]() -> absl::StatusOr<UserRecord> {
    UserRecord user;
    ASSIGN_OR_RETURN(user.username, NormalizeUsername(username));
    if (options.without_email) {
      if (!email.empty()) return absl::InvalidArgumentError("an account without email has none");
    } else {
      ASSIGN_OR_RETURN(user.email, NormalizeEmail(email));
    }
    RETURN_IF_ERROR(ValidatePassword(password));
    return user;
  }();
  if (!checked.ok()) return done(checked.status());
  absl::StatusOr<HashQueue::Ticket> ticket = hashes_.Admit();
  if (!ticket.ok()) return done(ticket.status());
  auto hashed = std::make_shared<absl::StatusOr<std::string>>();
  hashes_.Run(
      std::move(*ticket), [this, hashed, password = std::move(password)] { *hashed = hasher_.Hash(password); },
      [this, hashed, user = std::move(*checked), done = std::move(done),
       options = std::move(options)](absl::Status resumed) {
        if (!resumed.ok()) return done(resumed);
        if (!hashed->ok()) return done(hashed->status());
        done(FinishRegister(user, **hashed, options));
      });
}

absl::StatusOr<Registered> AccountManager::FinishRegister(UserRecord user,
                                                          const std::string& hashed,
                                                          const RegisterOptions& options) {
  user.password_hash = hashed;
  user.user_id = NewUuid(rng_);
  user.created_at = clock_.Now();
  std::string token;
  const VerificationToken verification = NewVerificationToken(token, user.created_at);
  ASSIGN_OR_RETURN(bus::Event created, UserCreatedEvent(user, clock_, rng_));
  RETURN_IF_ERROR(store_.CreateUser(user, verification, created));
  log::Info("user registered", {{"user_id", user.user_id}});
  Registered registered;
  if (!user.email.empty()) {
    user.verification_sent_at = user.created_at;
    SendVerificationMail(user, token);
  }
  if (options.create_session) {
    // The account is committed either way: a failed session is a failed
    // login the client may retry, not a failed registration.
    ASSIGN_OR_RETURN(registered.tokens, sessions_.CreateSession(user.user_id, options.device_name,
                                                                options.device_id));
  }
  registered.user = std::move(user);
  return registered;
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
                           Callback<session::v1::SessionTokens> done, std::string device_id) {
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
       device_id = std::move(device_id), open = !(*user)->deactivated_at,
       done = std::move(done)](absl::Status resumed) {
        if (!resumed.ok()) return done(resumed);
        // A closed account answers as a wrong password (nobody learns it was).
        done(FinishLogin(user_id, device_name, device_id, *verified && open));
      });
}

absl::StatusOr<session::v1::SessionTokens> AccountManager::FinishLogin(
    const std::string& user_id, const std::string& device_name, const std::string& device_id,
    bool password_ok) {
  if (!password_ok) return absl::UnauthenticatedError(kBadLogin);
  RETURN_IF_ERROR(store_.ClearFailures(user_id));
  return sessions_.CreateSession(user_id, device_name, device_id);
}

void AccountManager::VerifyUserPassword(const std::string& user_id, std::string password,
                                        std::optional<std::string> new_password,
                                        Callback<bool> done) {
  if (password.empty() || password.size() > 1024) {
    return done(absl::PermissionDeniedError(kBadPassword));
  }
  absl::StatusOr<HashQueue::Ticket> ticket = hashes_.Admit();
  if (!ticket.ok()) return done(ticket.status());
  absl::StatusOr<UserRecord> user = GetUser(user_id);
  if (!user.ok()) return done(user.status());
  absl::StatusOr<AttemptReservation> attempt =
      store_.ReserveLoginAttempt(user_id, clock_.Now(), policy_.lockout);
  if (!attempt.ok()) return done(attempt.status());
  if (!attempt->allowed) {
    return done(RetryLaterError("too many wrong passwords; try again later", attempt->retry_after));
  }
  struct Outcome {
    bool verified = false;
    std::optional<absl::StatusOr<std::string>> new_hash;
  };
  auto outcome = std::make_shared<Outcome>();
  // Both hashes in one place of the hash queue (its threads bound the memory).
  hashes_.Run(
      std::move(*ticket),
      [this, outcome, hash = user->password_hash, password = std::move(password),
       new_password = std::move(new_password)] {
        outcome->verified = hasher_.Verify(hash, password);
        if (outcome->verified && new_password) outcome->new_hash = hasher_.Hash(*new_password);
      },
      [this, outcome, user_id, done = std::move(done)](absl::Status resumed) {
        if (!resumed.ok()) return done(resumed);
        if (!outcome->verified) return done(absl::PermissionDeniedError(kBadPassword));
        if (absl::Status cleared = store_.ClearFailures(user_id); !cleared.ok()) {
          return done(cleared);
        }
        if (outcome->new_hash) {
          if (!outcome->new_hash->ok()) return done(outcome->new_hash->status());
          if (absl::Status set = store_.SetPasswordHash(user_id, **outcome->new_hash); !set.ok()) {
            return done(set);
          }
          log::Info("password changed", {{"user_id", user_id}});
        }
        done(true);
      });
}

void AccountManager::CheckPassword(std::string user_id, std::string password,
                                   Callback<bool> done) {
  VerifyUserPassword(user_id, std::move(password), std::nullopt, std::move(done));
}

void AccountManager::ChangePassword(std::string user_id, std::string old_password,
                                    std::string new_password, Callback<bool> done) {
  if (absl::Status valid = ValidatePassword(new_password); !valid.ok()) return done(valid);
  VerifyUserPassword(user_id, std::move(old_password), std::move(new_password), std::move(done));
}

void AccountManager::Deactivate(std::string user_id, std::string password, bool erase,
                                Callback<bool> done) {
  VerifyUserPassword(
      user_id, std::move(password), std::nullopt,
      [this, user_id, erase, done = std::move(done)](absl::StatusOr<bool> checked) {
        if (!checked.ok()) return done(checked.status());
        const absl::Time now = clock_.Now();
        absl::StatusOr<bus::Event> event = UserDeactivatedEvent(user_id, erase, now, clock_, rng_);
        if (!event.ok()) return done(event.status());
        absl::StatusOr<bool> newly = store_.Deactivate(user_id, now, *event);
        if (newly.ok() && *newly) log::Info("account deactivated", {{"user_id", user_id}});
        done(newly);
      });
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

absl::StatusOr<bool> AccountManager::UsernameAvailable(std::string_view username) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeUsername(username));
  ASSIGN_OR_RETURN(std::optional<UserRecord> user, store_.FindByUsername(normalized));
  return !user.has_value();
}

}  // namespace messenger::auth
