// The end-to-end encryption relay (keys/upload, keys/query, keys/claim,
// keys/changes, sendToDevice, cross-signing keys and signatures): forwarded
// to messaging's E2eeService, which checks and stores everything; the server
// never reads a secret key. This file translates, and maps the service's
// refusals to their Matrix errcodes.
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/uia.h"

namespace messenger::gateway::matrix {
namespace {

using e2ee::v1::E2eeService;

void SetCaller(const ClientUser& me, e2ee::v1::Caller* caller) {
  caller->set_user_id(me.session.user_id);
  caller->set_matrix_user_id(me.user_id);
  caller->set_device_id(me.session.device_id);
  caller->set_session_id(me.session.session_id);
}

// The service's codes as the spec names them: a malformed body is
// M_BAD_JSON, a request or device over its bound M_TOO_LARGE; a full inbox
// stays M_LIMIT_EXCEEDED with its retry hint.
absl::Status KeysError(absl::Status status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    return MatrixError(kBadJson, std::string(status.message()));
  }
  return OutOfRangeAsTooLarge(std::move(status));
}

template <typename Request, typename Response>
absl::Status CallE2ee(ClientApi& api,
                      grpc::Status (E2eeService::Stub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                      const Request& request, Response* response) {
  Gateway& gw = api.gateway();
  return KeysError(gw.Call(*gw.stubs().e2ee, method, request, response));
}

// keys/upload, keys/query and keys/claim: the body goes as it came (once
// known to be a JSON object), the answer comes back as JSON text.
using KeysMethod = grpc::Status (E2eeService::Stub::*)(grpc::ClientContext*,
                                                       const e2ee::v1::KeysRequest&,
                                                       e2ee::v1::KeysResponse*);
absl::StatusOr<http::Response> Keys(ClientApi& api, ClientRequest& c, KeysMethod method) {
  RETURN_IF_ERROR(MatrixBody::Parse(c.http.body).status());
  e2ee::v1::KeysRequest request;
  SetCaller(c.me(), request.mutable_caller());
  request.set_json(c.http.body);
  e2ee::v1::KeysResponse response;
  RETURN_IF_ERROR(CallE2ee(api, method, request, &response));
  http::Response r;
  r.status = 200;
  r.body = std::move(*response.mutable_json());
  r.SetHeader("Content-Type", "application/json");
  return r;
}

// A next_batch token of /sync (messaging reads its device-list cursor).
absl::StatusOr<std::string> SyncToken(const ClientRequest& c, std::string_view name) {
  std::optional<std::string_view> value = c.query.Get(name);
  if (!value.has_value() || value->empty()) {
    return MatrixError(kMissingParam, "'" + std::string(name) + "' is required");
  }
  if (value->front() != 'm') {
    return MatrixError(kInvalidParam, "'" + std::string(name) + "' is not a sync token");
  }
  return std::string(*value);
}

absl::StatusOr<http::Response> Changes(ClientApi& api, ClientRequest& c) {
  e2ee::v1::KeyChangesRequest request;
  SetCaller(c.me(), request.mutable_caller());
  ASSIGN_OR_RETURN(*request.mutable_from_token(), SyncToken(c, "from"));
  ASSIGN_OR_RETURN(*request.mutable_to_token(), SyncToken(c, "to"));
  e2ee::v1::KeyChangesResponse response;
  absl::Status called = CallE2ee(api, &E2eeService::Stub::KeyChanges, request, &response);
  // The caller is ours: a refusal can only be about the tokens.
  if (absl::IsInvalidArgument(called)) return MatrixError(kInvalidParam, std::string(called.message()));
  RETURN_IF_ERROR(called);
  return http::Response::Json(200, {{"changed", response.changed()}, {"left", response.left()}});
}

absl::StatusOr<http::Response> SendToDevice(ClientApi& api, ClientRequest& c) {
  RETURN_IF_ERROR(MatrixBody::Parse(c.http.body).status());
  e2ee::v1::SendToDeviceRequest request;
  SetCaller(c.me(), request.mutable_caller());
  request.set_event_type(c.params["event_type"]);
  request.set_txn_id(c.params["txn_id"]);
  request.set_json(c.http.body);
  e2ee::v1::SendToDeviceResponse response;
  RETURN_IF_ERROR(CallE2ee(api, &E2eeService::Stub::SendToDevice, request, &response));
  return http::Response::Json(200, nlohmann::json::object());
}

// keys/device_signing/upload: replacing stored keys needs the password
// (m.login.password); a first upload or a retry of the same keys does not,
// so the password is asked for only when messaging says so.
absl::StatusOr<http::Response> UploadSigningKeys(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  e2ee::v1::SigningKeysRequest request;
  SetCaller(c.me(), request.mutable_caller());
  request.set_json(c.http.body);
  ASSIGN_OR_RETURN(std::optional<UiaAuth> auth, ReadUiaAuth(body));
  if (auth.has_value()) {
    ASSIGN_OR_RETURN(std::optional<http::Response> challenge,
                     PasswordStage(api, c.me(), body, std::nullopt));
    if (challenge.has_value()) return *std::move(challenge);
    request.set_password_confirmed(true);
  }
  e2ee::v1::SigningKeysResponse response;
  Gateway& gw = api.gateway();
  absl::Status called =
      gw.Call(*gw.stubs().e2ee, &E2eeService::Stub::UploadSigningKeys, request, &response);
  if (absl::IsUnauthenticated(called)) {
    return MatrixError("M_INVALID_SIGNATURE", std::string(called.message()));
  }
  if (absl::IsFailedPrecondition(called)) {
    return MatrixError(kMissingParam, std::string(called.message()));
  }
  RETURN_IF_ERROR(KeysError(std::move(called)));
  if (response.auth_required()) return UiaChallenge({kPasswordStage}, "");
  return http::Response::Json(200, nlohmann::json::object());
}

}  // namespace

void AddKeysRoutes(ClientApi& api) {
  auto keys = [&api](std::string_view path, KeysMethod method) {
    api.Route("POST", path, Access::kUser, Versions::kV3AndR0,
              [&api, method](ClientRequest& c) { return Keys(api, c, method); });
  };
  keys("/keys/upload", &E2eeService::Stub::UploadKeys);
  keys("/keys/query", &E2eeService::Stub::QueryKeys);
  keys("/keys/claim", &E2eeService::Stub::ClaimKeys);
  keys("/keys/signatures/upload", &E2eeService::Stub::UploadSignatures);
  api.Route("POST", "/keys/device_signing/upload", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return UploadSigningKeys(api, c); });
  api.Route("GET", "/keys/changes", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Changes(api, c); });
  api.Route("PUT", "/sendToDevice/{event_type}/{txn_id}", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return SendToDevice(api, c); });
}

}  // namespace messenger::gateway::matrix
