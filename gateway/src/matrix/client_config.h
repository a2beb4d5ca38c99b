// Configuration of the Matrix client-server API at the gateway.
#pragma once

#include <string>

#include "common/config.h"

namespace messenger::gateway::matrix {

enum class Registration { kOpen, kToken, kDisabled };

struct ClientConfig {
  std::string server_name = "localhost";  // MESSENGER_SERVER_NAME
  // MESSENGER_PUBLIC_URL: the base URL clients reach the gateway at
  // (/.well-known/matrix/client).
  std::string base_url = "http://127.0.0.1:8080";
  // MESSENGER_MATRIX_REGISTRATION and MESSENGER_MATRIX_REGISTRATION_TOKEN.
  Registration registration = Registration::kOpen;
  std::string registration_token;

  static ClientConfig FromEnv(EnvReader& env, const CommonConfig& common);
};

}  // namespace messenger::gateway::matrix
