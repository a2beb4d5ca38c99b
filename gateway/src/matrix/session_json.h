// The answer of a Matrix login or registration that opened a session.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "gateway/src/matrix/client_api.h"

namespace messenger::gateway::matrix {

// {user_id, access_token, device_id} and, when the client supports refresh
// tokens, {refresh_token, expires_in_ms}.
nlohmann::json LoginJson(const ClientApi& api, const std::string& username,
                         const session::v1::SessionTokens& tokens, bool with_refresh);

}  // namespace messenger::gateway::matrix
