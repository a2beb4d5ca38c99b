#include "messaging-service/src/federation/remote_directory.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::federation {

messaging::RemoteAliasFetch RemoteAliasesFrom(FederationClient& client) {
  return [&client](const std::string& alias) -> absl::StatusOr<messaging::RoomAliasAnswer> {
    const std::string server = alias.substr(alias.find(':') + 1);
    const std::string what = absl::StrCat("query/directory on ", server);
    ASSIGN_OR_RETURN(
        nlohmann::json answer,
        JsonAnswer(client.Request("GET", server,
                                  absl::StrCat("/_matrix/federation/v1/query/directory?room_alias=",
                                               QueryEscape(alias)),
                                  std::nullopt, true),
                   what));
    const auto room_id = answer.find("room_id");
    if (room_id == answer.end() || !room_id->is_string() ||
        !matrix::IsValidRoomId(room_id->get<std::string>())) {
      return absl::FailedPreconditionError(absl::StrCat(what, ": no valid room_id"));
    }
    messaging::RoomAliasAnswer out{room_id->get<std::string>(), {server}};
    // The alias's server first (it answered), then the others it names.
    const auto servers = answer.find("servers");
    if (servers != answer.end() && servers->is_array()) {
      for (const nlohmann::json& s : *servers) {
        if (out.servers.size() == kMaxAliasServers) break;
        if (!s.is_string() || s.get<std::string>().empty() || s.get<std::string>() == server) {
          continue;
        }
        out.servers.push_back(s.get<std::string>());
      }
    }
    return out;
  };
}

}  // namespace messenger::federation
