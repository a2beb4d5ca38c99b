// /v1/conversations/{id} (details, name/topic/avatar), its members (add,
// remove, roles) and leave: group management over the messaging service.
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

using messaging::v1::MessagingService;

// Users added by one request at most (the service checks it too).
constexpr size_t kMaxMembersPerAdd = 50;

nlohmann::json DetailsJson(const messaging::v1::ConversationDetails& d) {
  const bool direct = d.type() == messaging::v1::CONVERSATION_TYPE_DIRECT;
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : d.members())
    members.push_back({{"user_id", m.user_id()}, {"role", m.role()}});
  nlohmann::json out = {{"conversation_id", d.conversation_id()},
                        {"type", direct ? "direct" : "group"},
                        {"members", std::move(members)}};
  if (!direct) {
    out["name"] = d.name();
    if (!d.topic().empty()) out["topic"] = d.topic();
    if (!d.avatar_url().empty()) out["avatar_url"] = d.avatar_url();
  }
  return out;
}

}  // namespace

void AddGroupRoutes(Gateway& gw) {
  gw.Route("GET", "/v1/conversations/{id:room}", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             messaging::v1::GetConversationRequest request;
             request.set_user_id(c.user_id());
             request.set_conversation_id(c.params["id"]);
             messaging::v1::ConversationDetails response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging,
                                     &MessagingService::Stub::GetConversation, request, &response));
             return http::Response::Json(200, DetailsJson(response));
           });

  gw.Route(
      "PATCH", "/v1/conversations/{id:room}", true,
      [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
        messaging::v1::UpdateConversationRequest request;
        request.set_user_id(c.user_id());
        request.set_conversation_id(c.params["id"]);
        ASSIGN_OR_RETURN(std::optional<std::string> name, body.OptionalString("name"));
        ASSIGN_OR_RETURN(std::optional<std::string> topic, body.OptionalString("topic"));
        ASSIGN_OR_RETURN(std::optional<std::string> avatar, body.OptionalString("avatar_url"));
        if (name) request.set_name(*name);
        if (topic) request.set_topic(*topic);
        if (avatar) request.set_avatar_url(*avatar);
        messaging::v1::UpdateConversationResponse response;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::UpdateConversation,
                                request, &response));
        return http::Response::Empty(204);
      });

  gw.Route("POST", "/v1/conversations/{id:room}/members", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
             messaging::v1::AddMembersRequest request;
             request.set_user_id(c.user_id());
             request.set_conversation_id(c.params["id"]);
             ASSIGN_OR_RETURN(std::vector<std::string> members,
                              body.RequiredStringArray("member_ids", kMaxMembersPerAdd));
             for (auto& m : members) request.add_member_ids(std::move(m));
             messaging::v1::AddMembersResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::AddMembers,
                                     request, &response));
             return http::Response::Json(200, {{"conversation_id", request.conversation_id()},
                                               {"member_ids", response.member_ids()}});
           });

  gw.Route("DELETE", "/v1/conversations/{id:room}/members/{user_id:uuid}", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             messaging::v1::RemoveMemberRequest request;
             request.set_user_id(c.user_id());
             request.set_conversation_id(c.params["id"]);
             request.set_member_id(c.params["user_id"]);
             messaging::v1::RemoveMemberResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::RemoveMember,
                                     request, &response));
             return http::Response::Empty(204);
           });

  gw.Route("PUT", "/v1/conversations/{id:room}/members/{user_id:uuid}/role", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
             messaging::v1::SetMemberRoleRequest request;
             request.set_user_id(c.user_id());
             request.set_conversation_id(c.params["id"]);
             request.set_member_id(c.params["user_id"]);
             ASSIGN_OR_RETURN(*request.mutable_role(), body.RequiredString("role"));
             messaging::v1::SetMemberRoleResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::SetMemberRole,
                                     request, &response));
             return http::Response::Json(
                 200, {{"user_id", request.member_id()}, {"role", request.role()}});
           });

  gw.Route(
      "POST", "/v1/conversations/{id:room}/leave", true,
      [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        messaging::v1::LeaveConversationRequest request;
        request.set_user_id(c.user_id());
        request.set_conversation_id(c.params["id"]);
        messaging::v1::LeaveConversationResponse response;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::LeaveConversation,
                                request, &response));
        return http::Response::Empty(204);
      });
}

}  // namespace messenger::gateway
