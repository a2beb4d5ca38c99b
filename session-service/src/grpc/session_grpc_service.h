// gRPC adapter of the session service: proto <-> SessionManager.
#pragma once

#include "common/grpc/work_pool.h"
#include "messenger/session/v1/session.grpc.pb.h"
#include "session-service/src/service/session_manager.h"

namespace messenger::session {

class SessionGrpcService final : public v1::SessionService::CallbackService {
 public:
  SessionGrpcService(SessionManager& sessions, grpcx::WorkPool& pool)
      : sessions_(sessions), pool_(pool) {}

  grpc::ServerUnaryReactor* CreateSession(grpc::CallbackServerContext* context,
                                          const v1::CreateSessionRequest* request,
                                          v1::SessionTokens* response) override;
  grpc::ServerUnaryReactor* ValidateSession(grpc::CallbackServerContext* context,
                                            const v1::ValidateSessionRequest* request,
                                            v1::ValidateSessionResponse* response) override;
  grpc::ServerUnaryReactor* RefreshSession(grpc::CallbackServerContext* context,
                                           const v1::RefreshSessionRequest* request,
                                           v1::SessionTokens* response) override;
  grpc::ServerUnaryReactor* RevokeSession(grpc::CallbackServerContext* context,
                                          const v1::RevokeSessionRequest* request,
                                          v1::RevokeSessionResponse* response) override;
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest* request,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* RenameSession(grpc::CallbackServerContext* context,
                                          const v1::RenameSessionRequest* request,
                                          v1::RenameSessionResponse* response) override;
  grpc::ServerUnaryReactor* RevokeUserSessions(grpc::CallbackServerContext* context,
                                               const v1::RevokeUserSessionsRequest* request,
                                               v1::RevokeUserSessionsResponse* response) override;

 private:
  SessionManager& sessions_;
  grpcx::WorkPool& pool_;
};

}  // namespace messenger::session
