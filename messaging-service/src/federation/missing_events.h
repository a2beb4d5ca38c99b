// Fetching the events a server sent us an event after, when its prev_events
// are unknown here: POST /_matrix/federation/v1/get_missing_events on that
// server (server-server API, "Retrieving events"), bounded by `limit`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/federation/federation_client.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

struct MissingEventsQuery {
  std::string room_id;
  std::vector<std::string> earliest;  // what we have: the room's latest event
  std::vector<std::string> latest;    // the event whose past we miss
  int limit = 10;
  int64_t min_depth = 0;
};

// The PDUs (unchecked, at most `limit`) another server answers.
using MissingEventsFetch = std::function<absl::StatusOr<std::vector<nlohmann::json>>(
    const std::string& server, const MissingEventsQuery& query)>;

MissingEventsFetch MissingEventsFrom(FederationClient& client);

}  // namespace messenger::federation
