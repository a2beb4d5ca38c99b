#include "messaging-service/src/federation/missing_events.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace messenger::federation {

MissingEventsFetch MissingEventsFrom(FederationClient& client) {
  return [&client](const std::string& server,
                   const MissingEventsQuery& query) -> absl::StatusOr<std::vector<nlohmann::json>> {
    const std::string uri =
        absl::StrCat("/_matrix/federation/v1/get_missing_events/", QueryEscape(query.room_id));
    const nlohmann::json body = {{"earliest_events", query.earliest},
                                 {"latest_events", query.latest},
                                 {"limit", query.limit},
                                 {"min_depth", query.min_depth}};
    ASSIGN_OR_RETURN(nlohmann::json answer,
                     JsonAnswer(client.Request("POST", server, uri, body, true),
                                absl::StrCat("get_missing_events on ", server)));
    const auto events = answer.find("events");
    if (events == answer.end() || !events->is_array()) {
      return absl::FailedPreconditionError(
          absl::StrCat("get_missing_events on ", server, ": no events array"));
    }
    std::vector<nlohmann::json> out;
    for (const nlohmann::json& pdu : *events) {
      if (static_cast<int>(out.size()) == query.limit) break;  // more than asked: ignored
      out.push_back(pdu);
    }
    return out;
  };
}

}  // namespace messenger::federation
