// The Matrix client-server API (/_matrix/client/, /.well-known/matrix/client):
// the one call the gateway makes to serve it.
#pragma once

namespace messenger::gateway {
class Gateway;
}

namespace messenger::gateway::matrix {

void RegisterMatrixClientRoutes(Gateway& gateway);

}  // namespace messenger::gateway::matrix
