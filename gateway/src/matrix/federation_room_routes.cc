// Federation room routes (issue 16): event, state, state_ids, backfill,
// get_missing_events, make_join, send_join (v2), make_leave, send_leave (v2),
// invite (v2) and send; and the key routes user/keys/query, user/keys/claim
// and user/devices (fede2ee). Forwarded to
// messaging's FederationRoomService, which authenticates the X-Matrix
// request and checks everything; the gateway only shapes the parameters.
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/matrix/federation_errors.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/params.h"

namespace messenger::gateway {
namespace {

using RoomRequest = federation::v1::FederationRoomRequest;
using Stub = federation::v1::FederationRoomService::Stub;
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const RoomRequest&,
                                      federation::v1::JsonDocument*);

constexpr size_t kMaxRepeated = 20;  // ?v= and ?ver= values taken

absl::StatusOr<std::vector<std::string>> Repeated(std::string_view raw_query,
                                                  std::string_view name) {
  return RepeatedQueryParam(raw_query, name, kMaxRepeated);
}

// A route whose request `fill` completes, answered with messaging's JSON;
// `errors` may give messaging's errors the route's own errcodes.
RouteHandler Forward(Gateway& gw, Method method,
                     std::function<absl::Status(RouteContext&, RoomRequest&)> fill,
                     std::function<absl::Status(absl::Status)> errors = nullptr) {
  return FederationRoute([&gw, method, fill = std::move(fill), errors = std::move(errors)](
                             RouteContext& c) -> absl::StatusOr<http::Response> {
    RoomRequest request;
    FillInbound(c.request, request.mutable_request());
    RETURN_IF_ERROR(fill(c, request));
    federation::v1::JsonDocument response;
    absl::Status status = gw.Call(*gw.stubs().federation_rooms, method, request, &response);
    if (!status.ok()) return errors ? errors(std::move(status)) : status;
    return JsonText(std::move(*response.mutable_json()));
  });
}

// PUT /v2/invite's errcodes (the spec's): a malformed invite is M_BAD_JSON,
// an unsupported room version M_INCOMPATIBLE_ROOM_VERSION.
absl::Status InviteErrors(absl::Status status) {
  if (absl::IsInvalidArgument(status)) {
    return matrix::MatrixError(matrix::kBadJson, std::string(status.message()));
  }
  if (absl::IsFailedPrecondition(status)) {
    return matrix::MatrixError(matrix::kIncompatibleRoomVersion, std::string(status.message()));
  }
  return status;
}

// The key routes' errcodes, as the client keys routes have them: a malformed
// body is M_BAD_JSON, too many devices named M_TOO_LARGE.
absl::Status KeysErrors(absl::Status status) {
  if (absl::IsInvalidArgument(status)) {
    return matrix::MatrixError(matrix::kBadJson, std::string(status.message()));
  }
  return matrix::OutOfRangeAsTooLarge(std::move(status));
}

}  // namespace

void AddFederationRoomRoutes(Gateway& gw) {
  constexpr char kV1[] = "/_matrix/federation/v1";
  const std::string v1 = kV1;
  gw.Route("GET", v1 + "/event/{event_id:message}", false,
           Forward(gw, &Stub::GetEvent, [](RouteContext& c, RoomRequest& r) {
             r.set_event_id(c.params["event_id"]);
             return absl::OkStatus();
           }));
  const auto state = [](RouteContext& c, RoomRequest& r) -> absl::Status {
    r.set_room_id(c.params["room_id"]);
    ASSIGN_OR_RETURN(*r.mutable_at_event_id(), c.query.Text("event_id", 255));
    return absl::OkStatus();
  };
  gw.Route("GET", v1 + "/state/{room_id:room}", false, Forward(gw, &Stub::GetState, state));
  gw.Route("GET", v1 + "/state_ids/{room_id:room}", false, Forward(gw, &Stub::GetStateIds, state));
  gw.Route("GET", v1 + "/backfill/{room_id:room}", false,
           Forward(gw, &Stub::Backfill, [](RouteContext& c, RoomRequest& r) -> absl::Status {
             r.set_room_id(c.params["room_id"]);
             ASSIGN_OR_RETURN(std::vector<std::string> from, Repeated(c.request.query, "v"));
             for (std::string& v : from) r.add_backfill_from(std::move(v));
             ASSIGN_OR_RETURN(int64_t limit, c.query.Int("limit", 1, 10'000, 0));
             r.set_limit(static_cast<int32_t>(limit));
             return absl::OkStatus();
           }));
  gw.Route("POST", v1 + "/get_missing_events/{room_id:room}", false,
           Forward(gw, &Stub::GetMissingEvents, [](RouteContext& c, RoomRequest& r) {
             r.set_room_id(c.params["room_id"]);
             return absl::OkStatus();
           }));
  gw.Route("GET", v1 + "/make_join/{room_id:room}/{user_id}", false,
           Forward(gw, &Stub::MakeJoin, [](RouteContext& c, RoomRequest& r) -> absl::Status {
             r.set_room_id(c.params["room_id"]);
             r.set_user_id(c.params["user_id"]);
             ASSIGN_OR_RETURN(std::vector<std::string> versions, Repeated(c.request.query, "ver"));
             for (std::string& v : versions) r.add_room_versions(std::move(v));
             return absl::OkStatus();
           }));
  const auto room_and_event = [](RouteContext& c, RoomRequest& r) {
    r.set_room_id(c.params["room_id"]);
    r.set_event_id(c.params["event_id"]);
    return absl::OkStatus();
  };
  gw.Route("PUT", "/_matrix/federation/v2/send_join/{room_id:room}/{event_id:message}", false,
           Forward(gw, &Stub::SendJoin, room_and_event));
  gw.Route("GET", v1 + "/make_leave/{room_id:room}/{user_id}", false,
           Forward(gw, &Stub::MakeLeave, [](RouteContext& c, RoomRequest& r) {
             r.set_room_id(c.params["room_id"]);
             r.set_user_id(c.params["user_id"]);
             return absl::OkStatus();
           }));
  gw.Route("PUT", "/_matrix/federation/v2/send_leave/{room_id:room}/{event_id:message}", false,
           Forward(gw, &Stub::SendLeave, room_and_event));
  gw.Route("PUT", "/_matrix/federation/v2/invite/{room_id:room}/{event_id:message}", false,
           Forward(gw, &Stub::Invite, room_and_event, InviteErrors));
  const auto body_only = [](RouteContext&, RoomRequest&) { return absl::OkStatus(); };
  gw.Route("POST", v1 + "/user/keys/query", false,
           Forward(gw, &Stub::QueryUserKeys, body_only, KeysErrors));
  gw.Route("POST", v1 + "/user/keys/claim", false,
           Forward(gw, &Stub::ClaimUserKeys, body_only, KeysErrors));
  // A user id that is not ours stays M_INVALID_PARAM.
  gw.Route("GET", v1 + "/user/devices/{user_id}", false,
           Forward(gw, &Stub::GetUserDevices, [](RouteContext& c, RoomRequest& r) {
             r.set_user_id(c.params["user_id"]);
             return absl::OkStatus();
           }));
  gw.Route("PUT", v1 + "/send/{txn_id}", false,
           Forward(gw, &Stub::SendTransaction, [](RouteContext& c, RoomRequest& r) {
             r.set_txn_id(c.params["txn_id"]);
             return absl::OkStatus();
           }));
}

}  // namespace messenger::gateway
