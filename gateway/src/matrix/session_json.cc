#include "gateway/src/matrix/session_json.h"

namespace messenger::gateway::matrix {

nlohmann::json LoginJson(const ClientApi& api, const std::string& username,
                         const session::v1::SessionTokens& tokens, bool with_refresh) {
  nlohmann::json out = {{"user_id", api.UserIdOf(username)},
                        {"access_token", tokens.access_token()},
                        {"device_id", tokens.device_id()}};
  if (with_refresh) {
    out["refresh_token"] = tokens.refresh_token();
    out["expires_in_ms"] = tokens.expires_in() * 1000;
  }
  return out;
}

}  // namespace messenger::gateway::matrix
