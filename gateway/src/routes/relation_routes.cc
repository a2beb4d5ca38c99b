// /v1/messages/{message_id}: edit, delete, and reactions of a message.
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {

void AddRelationRoutes(Gateway& gw) {
  using messaging::v1::MessagingService;
  // Relations are writes like sends: the same per-user budget.
  auto limited = [&gw](const RouteContext& c) {
    return gw.send_limiter().Take(c.user_id(), "too many messages; slow down");
  };

  gw.Route("PATCH", "/v1/messages/{message_id:message}", true,
           [&gw, limited](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
             messaging::v1::EditMessageRequest request;
             request.set_user_id(c.user_id());
             request.set_message_id(c.params["message_id"]);
             ASSIGN_OR_RETURN(*request.mutable_text(), body.RequiredString("text"));
             RETURN_IF_ERROR(limited(c));
             messaging::v1::EditMessageResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::EditMessage,
                                     request, &response));
             return http::Response::Json(200, {{"message_id", response.message_id()},
                                               {"edit_id", response.edit_id()},
                                               {"edited_at", Rfc3339(response.edited_at())}});
           });

  gw.Route("DELETE", "/v1/messages/{message_id:message}", true,
           [&gw, limited](RouteContext& c) -> absl::StatusOr<http::Response> {
             messaging::v1::DeleteMessageRequest request;
             request.set_user_id(c.user_id());
             request.set_message_id(c.params["message_id"]);
             RETURN_IF_ERROR(limited(c));
             messaging::v1::DeleteMessageResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::DeleteMessage,
                                     request, &response));
             return http::Response::Empty(204);
           });

  using ReactionCall = grpc::Status (MessagingService::Stub::*)(
      grpc::ClientContext*, const messaging::v1::ReactionRequest&,
      messaging::v1::ReactionResponse*);
  auto reaction = [&gw, limited](ReactionCall method) {
    return [&gw, limited, method](RouteContext& c) -> absl::StatusOr<http::Response> {
      messaging::v1::ReactionRequest request;
      request.set_user_id(c.user_id());
      request.set_message_id(c.params["message_id"]);
      request.set_key(c.params["key"]);
      RETURN_IF_ERROR(limited(c));
      messaging::v1::ReactionResponse response;
      RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, method, request, &response));
      return http::Response::Empty(204);
    };
  };
  gw.Route("POST", "/v1/messages/{message_id:message}/reactions/{key}", true,
           reaction(&MessagingService::Stub::AddReaction));
  gw.Route("DELETE", "/v1/messages/{message_id:message}/reactions/{key}", true,
           reaction(&MessagingService::Stub::RemoveReaction));
}

}  // namespace messenger::gateway
