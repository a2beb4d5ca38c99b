#include "messaging-service/src/domain/matrix/room_servers.h"

#include <set>

#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/server_acl.h"

namespace messenger::matrix {

std::vector<std::string> JoinedServers(const StateMap& state, absl::string_view self) {
  std::set<std::string> servers;
  for (const auto& [key, event] : state) {
    if (key.type != kMemberType || event.membership() != "join") continue;
    absl::StatusOr<std::string> server = ServerNameOf(key.state_key);
    // A malformed user id names no server to send to.
    if (server.ok() && *server != self) servers.insert(*server);
  }
  const Event* acl = state.Get(kServerAclType, "");
  std::vector<std::string> out;
  for (const std::string& server : servers) {
    if (AclAllows(acl, server)) out.push_back(server);
  }
  return out;
}

}  // namespace messenger::matrix
