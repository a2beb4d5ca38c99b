// Builds and signs new room version 10 events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

struct PduFields {
  std::string room_id;
  std::string sender;
  std::string type;
  std::optional<std::string> state_key;  // set for state events
  nlohmann::json content = nlohmann::json::object();
  std::vector<std::string> prev_events;
  std::vector<std::string> auth_events;
  int64_t depth = 0;
  int64_t origin_server_ts = 0;
  std::optional<std::string> redacts;  // top-level in v10 m.room.redaction
};

// Fills `hashes`, signs as `server_name` (which must be the sender's server)
// and derives the event id. Does not authorize the event (see auth_rules.h).
absl::StatusOr<Event> BuildPdu(const PduFields& fields, absl::string_view server_name,
                               const Ed25519Key& key);

}  // namespace messenger::matrix
