// gRPC adapter of the Matrix account state (MatrixAccountService): account
// data, push rules, aliases and the public room directory. Thin: JSON text
// in and out, the use cases decide.
#pragma once

#include "common/grpc/grpc_util.h"
#include "common/grpc/work_pool.h"
#include "messaging-service/src/service/account_data.h"
#include "messaging-service/src/service/account_directory.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"

namespace messenger::messaging {

class AccountGrpcService final : public v1::MatrixAccountService::CallbackService {
 public:
  AccountGrpcService(AccountDataManager& account, AccountDirectory& directory,
                     grpcx::WorkPool& pool)
      : account_(account), directory_(directory), pool_(pool) {}

  grpc::ServerUnaryReactor* GetAccountData(grpc::CallbackServerContext* context,
                                           const v1::AccountDataRequest* request,
                                           v1::AccountDataResponse* response) override;
  grpc::ServerUnaryReactor* PutAccountData(grpc::CallbackServerContext* context,
                                           const v1::AccountDataRequest* request,
                                           v1::AccountDataResponse* response) override;
  grpc::ServerUnaryReactor* GetPushRules(grpc::CallbackServerContext* context,
                                         const v1::PushRulesRequest* request,
                                         v1::PushRulesResponse* response) override;
  grpc::ServerUnaryReactor* PutPushRule(grpc::CallbackServerContext* context,
                                        const v1::PushRuleRequest* request,
                                        v1::PushRulesResponse* response) override;
  grpc::ServerUnaryReactor* DeletePushRule(grpc::CallbackServerContext* context,
                                           const v1::PushRuleRequest* request,
                                           v1::PushRulesResponse* response) override;
  grpc::ServerUnaryReactor* UpdatePushRule(grpc::CallbackServerContext* context,
                                           const v1::PushRuleRequest* request,
                                           v1::PushRulesResponse* response) override;
  grpc::ServerUnaryReactor* PutRoomAlias(grpc::CallbackServerContext* context,
                                         const v1::RoomAliasRequest* request,
                                         v1::RoomAliasResponse* response) override;
  grpc::ServerUnaryReactor* ResolveAlias(grpc::CallbackServerContext* context,
                                         const v1::RoomAliasRequest* request,
                                         v1::RoomAliasResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRoomAlias(grpc::CallbackServerContext* context,
                                            const v1::RoomAliasRequest* request,
                                            v1::RoomAliasResponse* response) override;
  grpc::ServerUnaryReactor* ListRoomAliases(grpc::CallbackServerContext* context,
                                            const v1::RoomAliasRequest* request,
                                            v1::RoomAliasesResponse* response) override;
  grpc::ServerUnaryReactor* GetRoomVisibility(grpc::CallbackServerContext* context,
                                              const v1::RoomVisibilityRequest* request,
                                              v1::RoomVisibilityResponse* response) override;
  grpc::ServerUnaryReactor* SetRoomVisibility(grpc::CallbackServerContext* context,
                                              const v1::RoomVisibilityRequest* request,
                                              v1::RoomVisibilityResponse* response) override;
  grpc::ServerUnaryReactor* ListPublicRooms(grpc::CallbackServerContext* context,
                                            const v1::PublicRoomsRequest* request,
                                            v1::PublicRoomsResponse* response) override;

 private:
  AccountDataManager& account_;
  AccountDirectory& directory_;
  grpcx::WorkPool& pool_;
};

}  // namespace messenger::messaging
