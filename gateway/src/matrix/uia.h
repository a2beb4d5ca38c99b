// User-interactive authentication (spec "User-Interactive Authentication
// API") for the single-stage flows the gateway offers: m.login.dummy and
// m.login.registration_token (registration), m.login.password (password
// change, device deletion). A flow of one stage needs no server-side state:
// the session id is only echoed back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http/http_server.h"
#include "gateway/src/matrix/matrix_json.h"

namespace messenger::gateway::matrix {

inline constexpr char kDummyStage[] = "m.login.dummy";
inline constexpr char kPasswordStage[] = "m.login.password";
inline constexpr char kRegistrationTokenStage[] = "m.login.registration_token";

struct UiaAuth {
  std::string type;
  std::string session;
  MatrixBody body;  // the whole auth object
};

// The request's `auth` object: nullopt when absent (the client asks for the
// flows); M_BAD_JSON when malformed.
absl::StatusOr<std::optional<UiaAuth>> ReadUiaAuth(const MatrixBody& request);

// The 401 that lists the flows (one stage each), with `session` ("" = new)
// and, after a failed attempt, its errcode and error.
http::Response UiaChallenge(const std::vector<std::string>& stages, std::string session,
                            const absl::Status& failure = absl::OkStatus());

}  // namespace messenger::gateway::matrix
