#include "auth-service/src/domain/account_rules.h"

#include "common/text.h"

namespace messenger::auth {

absl::StatusOr<std::string> NormalizeUsername(std::string_view raw) {
  std::string name = text::ToLowerAscii(text::Trim(raw));
  if (name.size() < 3 || name.size() > 32) {
    return absl::InvalidArgumentError("username must be 3 to 32 characters");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          "username may contain only a-z, 0-9, '.', '_' and '-'");
    }
  }
  return name;
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view raw) {
  std::string email = text::Trim(raw);
  const auto bad = [] { return absl::InvalidArgumentError("email is not a valid address"); };
  if (email.empty() || email.size() > 254 || !text::IsValidUtf8(email) ||
      text::HasControlCharacters(email)) {
    return bad();
  }
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) {
    return bad();
  }
  const std::string_view domain = std::string_view(email).substr(at + 1);
  const size_t dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.' ||
      email.find_first_of(" \t<>()[],;:\\\"") != std::string::npos) {
    return bad();
  }
  return email;
}

absl::Status ValidatePassword(std::string_view password) {
  if (password.size() > 1024) return absl::InvalidArgumentError("password is too long");
  if (!text::IsValidUtf8(password)) return absl::InvalidArgumentError("password is not valid UTF-8");
  if (text::CodePointCount(password) < 8) {
    return absl::InvalidArgumentError("password must be at least 8 characters");
  }
  return absl::OkStatus();
}

bool LoginIsEmail(std::string_view login) { return login.find('@') != std::string_view::npos; }

bool IsLockedOut(const std::optional<FailureRecord>& record, absl::Time now) {
  return record && record->locked_until && now < *record->locked_until;
}

FailureRecord RecordFailure(const std::optional<FailureRecord>& previous, absl::Time now,
                            const LockoutPolicy& policy) {
  if (IsLockedOut(previous, now)) return *previous;
  FailureRecord next;
  if (!previous || now - previous->window_start >= policy.window || previous->locked_until) {
    // A new window: the old one ran out, or its lockout was served.
    next.window_start = now;
    next.failures = 1;
  } else {
    next = *previous;
    ++next.failures;
  }
  if (next.failures >= policy.max_failures) next.locked_until = now + policy.lockout;
  return next;
}

AttemptReservation ReserveAttempt(const std::optional<FailureRecord>& previous, absl::Time now,
                                  const LockoutPolicy& policy) {
  if (IsLockedOut(previous, now)) {
    return {.allowed = false, .record = *previous, .retry_after = *previous->locked_until - now};
  }
  return {.allowed = true, .record = RecordFailure(previous, now, policy),
          .retry_after = absl::ZeroDuration()};
}

}  // namespace messenger::auth
