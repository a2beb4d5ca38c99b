// Room aliases of other servers: GET /_matrix/federation/v1/query/directory
// on the alias's server (server-server API, "Room Aliases"), signed.
#pragma once

#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/service/account_directory.h"

namespace messenger::federation {

// At most this many of the servers an answer names are kept.
inline constexpr size_t kMaxAliasServers = 20;

messaging::RemoteAliasFetch RemoteAliasesFrom(FederationClient& client);

}  // namespace messenger::federation
