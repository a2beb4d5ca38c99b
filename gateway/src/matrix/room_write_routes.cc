// Matrix room writes: send, state, redact, GET /event and the membership
// endpoints (invite, join, leave, kick, ban, unban, forget, /join/{id}).
// Messaging decides (the one room write path, the Matrix auth rules, the
// contact policy); this file only translates.
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/client_events.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

using messaging::v1::MessagingService;

http::Response EventIdResponse(const messaging::v1::SendMatrixEventResponse& response) {
  return http::Response::Json(200, {{"event_id", response.event_id()}});
}

// The request body as an event's content: a JSON object.
absl::StatusOr<std::string> ContentJson(const ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  return body.json().dump();
}

absl::StatusOr<http::Response> Send(ClientApi& api, ClientRequest& c) {
  messaging::v1::SendMatrixEventRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_device_id(c.me().session.device_id);
  request.set_room_id(c.params["room_id"]);
  request.set_event_type(c.params["event_type"]);
  request.set_txn_id(c.params["txn_id"]);
  ASSIGN_OR_RETURN(*request.mutable_content_json(), ContentJson(c));
  messaging::v1::SendMatrixEventResponse response;
  Gateway& gw = api.gateway();
  absl::Status sent =
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::SendMatrixEvent, request, &response);
  // Messaging's ALREADY_EXISTS of a reaction: the user's same annotation.
  if (absl::IsAlreadyExists(sent) && request.event_type() == "m.reaction") {
    return MatrixError(kDuplicateAnnotation, std::string(sent.message()));
  }
  RETURN_IF_ERROR(sent);
  return EventIdResponse(response);
}

absl::StatusOr<http::Response> PutState(ClientApi& api, ClientRequest& c) {
  messaging::v1::PutMatrixStateRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  request.set_event_type(c.params["event_type"]);
  request.set_state_key(c.params.count("state_key") ? c.params["state_key"] : "");
  ASSIGN_OR_RETURN(*request.mutable_content_json(), ContentJson(c));
  messaging::v1::SendMatrixEventResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::PutMatrixState, request,
                          &response));
  return EventIdResponse(response);
}

absl::StatusOr<http::Response> Redact(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::RedactMatrixEventRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_device_id(c.me().session.device_id);
  request.set_room_id(c.params["room_id"]);
  request.set_event_id(c.params["event_id"]);
  request.set_txn_id(c.params["txn_id"]);
  ASSIGN_OR_RETURN(std::optional<std::string> reason, body.OptionalString("reason"));
  if (reason) request.set_reason(*reason);
  messaging::v1::SendMatrixEventResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::RedactMatrixEvent,
                          request, &response));
  return EventIdResponse(response);
}

absl::StatusOr<http::Response> GetEvent(ClientApi& api, ClientRequest& c) {
  messaging::v1::GetMatrixEventRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  request.set_event_id(c.params["event_id"]);
  messaging::v1::MatrixEvent response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::GetMatrixEvent, request,
                          &response));
  ASSIGN_OR_RETURN(nlohmann::json event, ClientEvent(response, absl::ToUnixMillis(absl::Now())));
  return http::Response::Json(200, event);
}

// One membership action of the caller in `room_id`; the target (invite,
// kick, ban, unban) is the body's user_id.
absl::StatusOr<http::Response> Membership(ClientApi& api, ClientRequest& c,
                                          const std::string& room_id, const std::string& action,
                                          bool takes_target) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::ChangeMatrixMembershipRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(room_id);
  request.set_action(action);
  if (takes_target) {
    ASSIGN_OR_RETURN(std::string user_id, body.RequiredString("user_id"));
    ASSIGN_OR_RETURN(auth::v1::User account, api.AccountOf(user_id));
    request.set_target_id(account.user_id());
  }
  ASSIGN_OR_RETURN(std::optional<std::string> reason, body.OptionalString("reason"));
  if (reason) request.set_reason(*reason);
  messaging::v1::ChangeMatrixMembershipResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::ChangeMatrixMembership,
                          request, &response));
  if (action == "join") return http::Response::Json(200, {{"room_id", room_id}});
  return http::Response::Json(200, nlohmann::json::object());
}

// The room of POST /join/{roomIdOrAlias} and, for an alias, the servers
// its directory names (another server's alias is asked of it).
absl::StatusOr<messaging::v1::RoomAliasResponse> ResolveRoomIdOrAlias(ClientApi& api,
                                                                      const std::string& id) {
  messaging::v1::RoomAliasResponse response;
  if (absl::StartsWith(id, "!")) {
    response.set_room_id(id);
    return response;
  }
  if (!absl::StartsWith(id, "#")) {
    return MatrixError(kInvalidParam, "a room id (!...) or alias (#...) is expected");
  }
  messaging::v1::RoomAliasRequest request;
  request.set_alias(id);
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().account, &messaging::v1::MatrixAccountService::Stub::ResolveAlias,
                          request, &response));
  return response;
}

}  // namespace

void AddRoomWriteRoutes(ClientApi& api) {
  auto route = [&api](std::string_view method, std::string_view path,
                      absl::StatusOr<http::Response> (*handler)(ClientApi&, ClientRequest&)) {
    api.Route(method, path, Access::kUser, Versions::kV3AndR0,
              [&api, handler](ClientRequest& c) { return handler(api, c); });
  };
  route("PUT", "/rooms/{room_id}/send/{event_type}/{txn_id}", Send);
  // An empty state key may come as a missing last segment.
  route("PUT", "/rooms/{room_id}/state/{event_type}", PutState);
  route("PUT", "/rooms/{room_id}/state/{event_type}/{state_key}", PutState);
  route("PUT", "/rooms/{room_id}/redact/{event_id}/{txn_id}", Redact);
  route("GET", "/rooms/{room_id}/event/{event_id}", GetEvent);
  for (const char* action : {"invite", "join", "leave", "kick", "ban", "unban", "forget"}) {
    const std::string name = action;
    const bool takes_target =
        name == "invite" || name == "kick" || name == "ban" || name == "unban";
    api.Route("POST", "/rooms/{room_id}/" + name, Access::kUser, Versions::kV3AndR0,
              [&api, name, takes_target](ClientRequest& c) -> absl::StatusOr<http::Response> {
                const std::string room_id = c.params["room_id"];
                if (name == "invite") {
                  ASSIGN_OR_RETURN(std::optional<http::Response> remote,
                                   InviteRemoteUser(api, c, room_id));
                  if (remote) return *std::move(remote);
                }
                absl::StatusOr<http::Response> done =
                    Membership(api, c, room_id, name, takes_target);
                if (name == "leave") return DeclineUnknownRoom(api, c, room_id, std::move(done));
                if (name != "join") return done;
                return JoinUnknownRoom(api, c, room_id, std::move(done));
              });
  }
  api.Route("POST", "/join/{room_id_or_alias}", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) -> absl::StatusOr<http::Response> {
              ASSIGN_OR_RETURN(messaging::v1::RoomAliasResponse room,
                               ResolveRoomIdOrAlias(api, c.params["room_id_or_alias"]));
              const std::string& room_id = room.room_id();
              return JoinUnknownRoom(api, c, room_id, Membership(api, c, room_id, "join", false),
                                     {room.servers().begin(), room.servers().end()});
            });
}

}  // namespace messenger::gateway::matrix
