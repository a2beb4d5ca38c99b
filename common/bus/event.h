// The domain event envelope of api.md:
//   {"id", "type", "source", "time", "trace_id", "data"}
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/crypto.h"

namespace messenger::bus {

struct Event {
  std::string id;        // UUID; also the Nats-Msg-Id
  std::string type;      // = subject, e.g. "user.created"
  std::string source;    // producing service, e.g. "auth"
  absl::Time time;
  std::string trace_id;  // may be empty
  std::string data;      // the payload in the protobuf JSON mapping, as JSON text

  std::string ToJson() const;
  // `data` parsed (tests and tools; consumers use DataTo).
  nlohmann::json Data() const;
  static absl::StatusOr<Event> FromJson(std::string_view json);
  // Parses `data` into `message` (unknown fields ignored).
  absl::Status DataTo(google::protobuf::Message& message) const;
};

// A new event with a fresh id, the clock's time and the thread's trace id.
absl::StatusOr<Event> MakeEvent(std::string_view type, std::string_view source,
                                const google::protobuf::Message& data, const Clock& clock,
                                Rng& rng);

}  // namespace messenger::bus
