#include "gateway/src/matrix/uia.h"

#include "common/crypto.h"
#include "common/status.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {

absl::StatusOr<std::optional<UiaAuth>> ReadUiaAuth(const MatrixBody& request) {
  ASSIGN_OR_RETURN(std::optional<MatrixBody> auth, request.OptionalObject("auth"));
  if (!auth.has_value()) return std::nullopt;
  UiaAuth out{"", "", *auth};
  ASSIGN_OR_RETURN(std::optional<std::string> type, auth->OptionalString("type"));
  ASSIGN_OR_RETURN(std::optional<std::string> session, auth->OptionalString("session"));
  // {"session": "…"} alone asks for the state of the session.
  if (!type.has_value()) return std::nullopt;
  out.type = std::move(*type);
  out.session = session.value_or("");
  return out;
}

http::Response UiaChallenge(const std::vector<std::string>& stages, std::string session,
                            const absl::Status& failure) {
  if (session.empty() || session.size() > 128) {
    session = RandomToken(SecureRng::Instance(), 16);
  }
  nlohmann::json flows = nlohmann::json::array();
  for (const std::string& stage : stages) flows.push_back({{"stages", {stage}}});
  nlohmann::json body = {{"flows", flows}, {"params", nlohmann::json::object()},
                         {"session", session}};
  if (!failure.ok()) {
    body["errcode"] = ErrcodeOf(failure);
    body["error"] = std::string(failure.message());
  }
  http::Response r = http::Response::Json(401, body);
  return r;
}

}  // namespace messenger::gateway::matrix
