// Stored room events as the client-server API serves them ("ClientEvent"):
// the PDU without its federation-only fields, with event_id and
// unsigned.age.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "messenger/messaging/v1/messaging.pb.h"

namespace messenger::gateway::matrix {

// INTERNAL when the PDU is not a JSON object (messaging stored it checked).
absl::StatusOr<nlohmann::json> ClientEvent(const messaging::v1::MatrixEvent& event, int64_t now_ms);

}  // namespace messenger::gateway::matrix
