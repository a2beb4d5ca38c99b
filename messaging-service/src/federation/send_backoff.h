// Backoff of a destination that did not answer 200: base * 2^(failures - 1),
// at most `cap`, with jitter in [1/2, 1] of that so that replicas and
// destinations do not retry in lockstep. Pure: the sender passes a uniform
// `random` in [0, 1).
#pragma once

#include <algorithm>

#include "absl/time/time.h"

namespace messenger::federation {

inline absl::Duration SendBackoff(int failures, absl::Duration base, absl::Duration cap,
                                  double random) {
  absl::Duration delay = base;
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  return delay * (0.5 + 0.5 * std::clamp(random, 0.0, 1.0));
}

// A 4xx answer to PUT /send is the destination refusing the transaction (the
// spec answers a transaction it takes with 200, verdicts per PDU): sending it
// again cannot succeed, so it is dropped. Except 401 (the destination may not
// have our keys yet), 408 and 429 (try later): retried after the backoff.
inline bool RefusedForGood(int http_status) {
  return http_status >= 400 && http_status < 500 && http_status != 401 && http_status != 408 &&
         http_status != 429;
}

}  // namespace messenger::federation
