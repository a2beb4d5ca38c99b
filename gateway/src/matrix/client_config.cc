#include "gateway/src/matrix/client_config.h"

namespace messenger::gateway::matrix {

ClientConfig ClientConfig::FromEnv(EnvReader& env, const CommonConfig& common) {
  ClientConfig c;
  c.server_name = common.server_name;
  c.base_url = env.String("MESSENGER_PUBLIC_URL", "http://127.0.0.1:8080");
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  const std::string mode = env.String("MESSENGER_MATRIX_REGISTRATION", "open");
  c.registration_token = env.String("MESSENGER_MATRIX_REGISTRATION_TOKEN", "");
  if (mode == "open") {
    c.registration = Registration::kOpen;
  } else if (mode == "token") {
    c.registration = Registration::kToken;
    if (c.registration_token.empty()) {
      env.Invalid("MESSENGER_MATRIX_REGISTRATION_TOKEN",
                  "must be set when MESSENGER_MATRIX_REGISTRATION=token");
    }
  } else if (mode == "disabled") {
    c.registration = Registration::kDisabled;
  } else {
    env.Invalid("MESSENGER_MATRIX_REGISTRATION", "must be open, token or disabled");
  }
  return c;
}

}  // namespace messenger::gateway::matrix
