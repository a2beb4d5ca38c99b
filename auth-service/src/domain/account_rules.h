// Account rules, free of IO: what a valid username, email and password are,
// and the failed-login lockout window.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace messenger::auth {

// Lowercased and trimmed, then ^[a-z0-9._-]{3,32}$.
absl::StatusOr<std::string> NormalizeUsername(std::string_view raw);
// Trimmed; one '@' with a non-empty local part and a dotted domain; no spaces
// or control characters; at most 254 characters. Case is kept (uniqueness is
// case-insensitive).
absl::StatusOr<std::string> NormalizeEmail(std::string_view raw);
// At least 8 characters (code points), at most 1024 bytes, valid UTF-8.
absl::Status ValidatePassword(std::string_view password);
// A login containing '@' is an email, otherwise a username.
bool LoginIsEmail(std::string_view login);

struct LockoutPolicy {
  int max_failures = 5;
  absl::Duration window = absl::Minutes(15);
  absl::Duration lockout = absl::Minutes(15);
};

struct FailureRecord {
  absl::Time window_start;
  int failures = 0;
  std::optional<absl::Time> locked_until;
};

bool IsLockedOut(const std::optional<FailureRecord>& record, absl::Time now);
// The record after one more failed login at `now`.
FailureRecord RecordFailure(const std::optional<FailureRecord>& previous, absl::Time now,
                            const LockoutPolicy& policy);

// A login attempt counted before its password is checked: concurrent guesses
// each take one of the `max_failures` places, so no more than that many are
// ever checked (a correct password clears the record afterwards).
struct AttemptReservation {
  bool allowed = false;
  FailureRecord record;             // what to store (unchanged when refused)
  absl::Duration retry_after;       // refused: the rest of the lockout
};
AttemptReservation ReserveAttempt(const std::optional<FailureRecord>& previous, absl::Time now,
                                  const LockoutPolicy& policy);

}  // namespace messenger::auth
