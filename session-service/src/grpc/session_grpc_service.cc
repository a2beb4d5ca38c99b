#include "session-service/src/grpc/session_grpc_service.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "common/time_util.h"

namespace messenger::session {
namespace {

void ToProto(const TokenPair& pair, v1::SessionTokens* out) {
  out->set_access_token(pair.access_token);
  out->set_refresh_token(pair.refresh_token);
  out->set_expires_in(absl::ToInt64Seconds(pair.access_expires_at - pair.issued_at));
  out->set_session_id(pair.session_id);
  out->set_user_id(pair.user_id);
  out->set_device_id(pair.device_id);
  messenger::ToProto(pair.access_expires_at, out->mutable_access_expires_at());
  messenger::ToProto(pair.refresh_expires_at, out->mutable_refresh_expires_at());
}

absl::StatusOr<RevokeReason> ReasonFrom(v1::RevokeReason reason) {
  switch (reason) {
    case v1::REVOKE_REASON_LOGOUT: return RevokeReason::kLogout;
    case v1::REVOKE_REASON_REVOKED:
    case v1::REVOKE_REASON_UNSPECIFIED: return RevokeReason::kRevoked;
    case v1::REVOKE_REASON_REFRESH_REUSE: return RevokeReason::kRefreshReuse;
    case v1::REVOKE_REASON_DEACTIVATED: return RevokeReason::kDeactivated;
    default: return absl::InvalidArgumentError("unknown revoke reason");
  }
}

}  // namespace

grpc::ServerUnaryReactor* SessionGrpcService::CreateSession(grpc::CallbackServerContext* context,
                                                            const v1::CreateSessionRequest* request,
                                                            v1::SessionTokens* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(TokenPair pair, sessions_.Create(request->user_id(), request->device_name(),
                                                      request->device_id()));
    ToProto(pair, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SessionGrpcService::ValidateSession(
    grpc::CallbackServerContext* context, const v1::ValidateSessionRequest* request,
    v1::ValidateSessionResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(ValidToken valid, sessions_.Validate(request->access_token()));
    response->set_user_id(valid.user_id);
    response->set_session_id(valid.session_id);
    response->set_device_id(valid.device_id);
    messenger::ToProto(valid.expires_at, response->mutable_expires_at());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SessionGrpcService::RefreshSession(
    grpc::CallbackServerContext* context, const v1::RefreshSessionRequest* request,
    v1::SessionTokens* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(TokenPair pair, sessions_.Refresh(request->refresh_token()));
    ToProto(pair, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SessionGrpcService::RevokeSession(grpc::CallbackServerContext* context,
                                                            const v1::RevokeSessionRequest* request,
                                                            v1::RevokeSessionResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    ASSIGN_OR_RETURN(RevokeReason reason, ReasonFrom(request->reason()));
    return sessions_.Revoke(request->session_id(), request->user_id(), reason);
  });
}

grpc::ServerUnaryReactor* SessionGrpcService::ListSessions(grpc::CallbackServerContext* context,
                                                           const v1::ListSessionsRequest* request,
                                                           v1::ListSessionsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<SessionInfo> sessions, sessions_.List(request->user_id()));
    for (const SessionInfo& s : sessions) {
      v1::Session* out = response->add_sessions();
      out->set_session_id(s.session_id);
      out->set_device_name(s.device_name);
      out->set_device_id(s.device_id);
      messenger::ToProto(s.created_at, out->mutable_created_at());
      messenger::ToProto(s.last_seen_at, out->mutable_last_seen_at());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SessionGrpcService::RenameSession(grpc::CallbackServerContext* context,
                                                            const v1::RenameSessionRequest* request,
                                                            v1::RenameSessionResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return sessions_.Rename(request->session_id(), request->user_id(), request->device_name());
  });
}

grpc::ServerUnaryReactor* SessionGrpcService::RevokeUserSessions(
    grpc::CallbackServerContext* context, const v1::RevokeUserSessionsRequest* request,
    v1::RevokeUserSessionsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(RevokeReason reason, ReasonFrom(request->reason()));
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     sessions_.RevokeAllExcept(request->user_id(), request->except_session_id(),
                                               reason));
    for (std::string& id : ids) response->add_session_ids(std::move(id));
    return absl::OkStatus();
  });
}

}  // namespace messenger::session
