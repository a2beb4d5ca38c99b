#include "messaging-service/src/grpc/account_grpc.h"

#include "common/status.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<nlohmann::json> ParseJson(const std::string& text, const char* what) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError(std::string(what) + " is not JSON");
  return json;
}

}  // namespace

grpc::ServerUnaryReactor* AccountGrpcService::GetAccountData(grpc::CallbackServerContext* context,
                                                             const v1::AccountDataRequest* request,
                                                             v1::AccountDataResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_content_json(),
                     account_.Get(request->user_id(), request->room_id(), request->type()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::PutAccountData(grpc::CallbackServerContext* context,
                                                             const v1::AccountDataRequest* request,
                                                             v1::AccountDataResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return account_.Put(request->user_id(), request->room_id(), request->type(),
                        request->content_json());
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::GetPushRules(grpc::CallbackServerContext* context,
                                                           const v1::PushRulesRequest* request,
                                                           v1::PushRulesResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(nlohmann::json rules, account_.PushRules(request->user_id()));
    response->set_ruleset_json(rules.dump());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::PutPushRule(grpc::CallbackServerContext* context,
                                                          const v1::PushRuleRequest* request,
                                                          v1::PushRulesResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    ASSIGN_OR_RETURN(nlohmann::json body, ParseJson(request->rule_json(), "the rule"));
    std::optional<std::string> before, after;
    if (request->has_before()) before = request->before();
    if (request->has_after()) after = request->after();
    return account_.PutPushRule(request->user_id(), request->kind(), request->rule_id(), body,
                                before, after);
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::DeletePushRule(grpc::CallbackServerContext* context,
                                                             const v1::PushRuleRequest* request,
                                                             v1::PushRulesResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return account_.DeletePushRule(request->user_id(), request->kind(), request->rule_id());
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::UpdatePushRule(grpc::CallbackServerContext* context,
                                                             const v1::PushRuleRequest* request,
                                                             v1::PushRulesResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    std::optional<bool> enabled;
    if (request->has_enabled()) enabled = request->enabled();
    std::optional<nlohmann::json> actions;
    if (request->has_actions_json()) {
      ASSIGN_OR_RETURN(actions, ParseJson(request->actions_json(), "actions"));
    }
    return account_.UpdatePushRule(request->user_id(), request->kind(), request->rule_id(), enabled,
                                   actions);
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::PutRoomAlias(grpc::CallbackServerContext* context,
                                                           const v1::RoomAliasRequest* request,
                                                           v1::RoomAliasResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return directory_.PutAlias(request->user_id(), request->alias(), request->room_id());
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::ResolveAlias(grpc::CallbackServerContext* context,
                                                           const v1::RoomAliasRequest* request,
                                                           v1::RoomAliasResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(RoomAliasAnswer answer, directory_.ResolveAlias(request->alias()));
    response->set_room_id(std::move(answer.room_id));
    for (std::string& server : answer.servers) response->add_servers(std::move(server));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::DeleteRoomAlias(grpc::CallbackServerContext* context,
                                                              const v1::RoomAliasRequest* request,
                                                              v1::RoomAliasResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return directory_.DeleteAlias(request->user_id(), request->alias());
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::ListRoomAliases(grpc::CallbackServerContext* context,
                                                              const v1::RoomAliasRequest* request,
                                                              v1::RoomAliasesResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> aliases,
                     directory_.AliasesOf(request->user_id(), request->room_id()));
    for (auto& alias : aliases) response->add_aliases(std::move(alias));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::GetRoomVisibility(
    grpc::CallbackServerContext* context, const v1::RoomVisibilityRequest* request,
    v1::RoomVisibilityResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(bool published, directory_.IsPublished(request->room_id()));
    response->set_published(published);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::SetRoomVisibility(
    grpc::CallbackServerContext* context, const v1::RoomVisibilityRequest* request,
    v1::RoomVisibilityResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    RETURN_IF_ERROR(
        directory_.SetPublished(request->user_id(), request->room_id(), request->published()));
    response->set_published(request->published());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountGrpcService::ListPublicRooms(grpc::CallbackServerContext* context,
                                                              const v1::PublicRoomsRequest* request,
                                                              v1::PublicRoomsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(
        PublicRoomsAnswer answer,
        directory_.PublicRooms({request->limit(), request->since(), request->search()}));
    for (const auto& room : answer.rooms) {
      v1::PublicRoom* out = response->add_chunk();
      out->set_room_id(room.room_id);
      if (room.name) out->set_name(*room.name);
      if (room.topic) out->set_topic(*room.topic);
      if (room.canonical_alias) out->set_canonical_alias(*room.canonical_alias);
      if (room.avatar_url) out->set_avatar_url(*room.avatar_url);
      out->set_join_rule(room.join_rule);
      out->set_world_readable(room.history_visibility == "world_readable");
      out->set_joined_members(room.joined_members);
    }
    if (answer.next_batch) response->set_next_batch(*answer.next_batch);
    if (answer.prev_batch) response->set_prev_batch(*answer.prev_batch);
    response->set_total(answer.total);
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
