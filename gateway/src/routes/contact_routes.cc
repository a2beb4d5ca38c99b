// /v1/contacts*: friend requests, friends and blocks. Lists are joined with
// profile data through one batch call.
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

using contact::v1::ContactService;

// A route whose answer is 204 after a contact action with (caller, target).
template <typename Request, typename Response>
RouteHandler NoContent(Gateway& gw,
                       grpc::Status (ContactService::Stub::*method)(grpc::ClientContext*,
                                                                    const Request&, Response*),
                       void (Request::*set_target)(const std::string&)) {
  return [&gw, method, set_target](RouteContext& c) -> absl::StatusOr<http::Response> {
    Request request;
    request.set_user_id(c.user_id());
    (request.*set_target)(c.params["user_id"]);
    Response response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().contact, method, request, &response));
    return http::Response::Empty(204);
  };
}

// A user of another server has no profile here: named by the Matrix id.
void AddMatrixId(nlohmann::json& item, const std::string& matrix_id) {
  if (matrix_id.empty()) return;
  item["username"] = matrix_id;
  item["matrix_id"] = matrix_id;
}

nlohmann::json RequestsJson(const google::protobuf::RepeatedPtrField<contact::v1::PendingRequest>& list,
                            const std::map<std::string, profile::v1::Profile>& profiles) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : list) {
    auto p = profiles.find(r.user_id());
    nlohmann::json item = {{"user_id", r.user_id()},
                           {"username", p == profiles.end() ? "" : p->second.username()},
                           {"created_at", Rfc3339(r.created_at())}};
    AddMatrixId(item, r.matrix_id());
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

void AddContactRoutes(Gateway& gw) {
  gw.Route("POST", "/v1/contacts/requests", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
    contact::v1::SendRequestRequest request;
    request.set_user_id(c.user_id());
    ASSIGN_OR_RETURN(*request.mutable_target_user_id(), body.RequiredString("user_id"));
    contact::v1::SendRequestResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().contact, &ContactService::Stub::SendRequest, request, &response));
    const bool accepted = response.status() == contact::v1::REQUEST_STATUS_ACCEPTED;
    return http::Response::Json(accepted ? 200 : 201,
                                {{"user_id", response.user_id()},
                                 {"status", accepted ? "accepted" : "pending"}});
  });

  gw.Route("GET", "/v1/contacts/requests", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    contact::v1::ListRequestsRequest request;
    request.set_user_id(c.user_id());
    contact::v1::ListRequestsResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().contact, &ContactService::Stub::ListRequests, request, &response));
    std::vector<std::string> ids;
    for (const auto& r : response.incoming()) ids.push_back(r.user_id());
    for (const auto& r : response.outgoing()) ids.push_back(r.user_id());
    ASSIGN_OR_RETURN(auto profiles, ProfilesById(gw, ids));
    return http::Response::Json(200, {{"incoming", RequestsJson(response.incoming(), profiles)},
                                      {"outgoing", RequestsJson(response.outgoing(), profiles)}});
  });

  gw.Route("POST", "/v1/contacts/requests/{user_id:uuid}/accept", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             contact::v1::AcceptRequestRequest request;
             request.set_user_id(c.user_id());
             request.set_requester_id(c.params["user_id"]);
             contact::v1::AcceptRequestResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().contact, &ContactService::Stub::AcceptRequest,
                                     request, &response));
             return http::Response::Json(200, {{"user_id", request.requester_id()},
                                               {"status", "accepted"}});
           });

  gw.Route("POST", "/v1/contacts/requests/{user_id:uuid}/decline", true,
           NoContent(gw, &ContactService::Stub::DeclineRequest,
                     &contact::v1::DeclineRequestRequest::set_requester_id));

  gw.Route("DELETE", "/v1/contacts/{user_id:uuid}", true,
           NoContent(gw, &ContactService::Stub::RemoveFriend,
                     &contact::v1::RemoveFriendRequest::set_friend_id));

  gw.Route("POST", "/v1/contacts/{user_id:uuid}/block", true,
           NoContent(gw, &ContactService::Stub::Block,
                     &contact::v1::BlockRequest::set_target_user_id));

  gw.Route("DELETE", "/v1/contacts/{user_id:uuid}/block", true,
           NoContent(gw, &ContactService::Stub::Unblock,
                     &contact::v1::UnblockRequest::set_target_user_id));

  gw.Route("GET", "/v1/contacts", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    contact::v1::ListFriendsRequest request;
    request.set_user_id(c.user_id());
    contact::v1::ListFriendsResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().contact, &ContactService::Stub::ListFriends, request, &response));
    std::vector<std::string> ids;
    for (const auto& f : response.friends()) ids.push_back(f.user_id());
    ASSIGN_OR_RETURN(auto profiles, ProfilesById(gw, ids));
    nlohmann::json contacts = nlohmann::json::array();
    for (const auto& f : response.friends()) {
      auto p = profiles.find(f.user_id());
      const bool known = p != profiles.end();
      nlohmann::json item = {{"user_id", f.user_id()},
                             {"username", known ? p->second.username() : ""},
                             {"display_name", known ? p->second.display_name() : ""},
                             {"since", Rfc3339(f.since())}};
      AddMatrixId(item, f.matrix_id());
      contacts.push_back(std::move(item));
    }
    return http::Response::Json(200, {{"contacts", contacts}});
  });
}

}  // namespace messenger::gateway
