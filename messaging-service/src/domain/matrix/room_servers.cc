#include "messaging-service/src/domain/matrix/room_servers.h"

#include <set>

#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::matrix {

std::vector<std::string> JoinedServers(const StateMap& state, absl::string_view self) {
  std::set<std::string> servers;
  for (const auto& [key, event] : state) {
    if (key.type != kMemberType || event.membership() != "join") continue;
    absl::StatusOr<std::string> server = ServerNameOf(key.state_key);
    // A malformed user id names no server to send to.
    if (server.ok() && *server != self) servers.insert(*server);
  }
  return {servers.begin(), servers.end()};
}

}  // namespace messenger::matrix
