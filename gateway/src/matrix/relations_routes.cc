// GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]
// (the spec's relations.yaml): messaging reads and checks visibility; here
// the query is checked and the events rendered.
#include "absl/time/clock.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/sync_render.h"

namespace messenger::gateway::matrix {
namespace {

constexpr char kPath[] = "/_matrix/client/v1/rooms/{room_id}/relations/{event_id}";
constexpr size_t kMaxTokenBytes = 1024;
constexpr int64_t kDefaultLimit = 5;

absl::StatusOr<http::Response> Relations(ClientApi& api, ClientRequest& c) {
  messaging::v1::MatrixRelationsRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  request.set_event_id(c.params["event_id"]);
  request.set_rel_type(c.params["rel_type"]);
  request.set_event_type(c.params["event_type"]);
  const std::string dir(c.query.Get("dir").value_or("b"));
  if (dir != "b" && dir != "f") return MatrixError(kInvalidParam, "dir is b or f");
  request.set_forward(dir == "f");
  absl::StatusOr<std::string> from = c.query.Text("from", kMaxTokenBytes);
  absl::StatusOr<std::string> to = c.query.Text("to", kMaxTokenBytes);
  absl::StatusOr<int64_t> limit = c.query.Int("limit", 1, 1000, kDefaultLimit);
  if (!from.ok() || !to.ok() || !limit.ok()) {
    return MatrixError(kInvalidParam, "from, to or limit is malformed");
  }
  const std::optional<std::string_view> recurse = c.query.Get("recurse");
  if (recurse && *recurse != "true" && *recurse != "false") {
    return MatrixError(kInvalidParam, "recurse is true or false");
  }
  request.set_from(*from);
  request.set_to(*to);
  request.set_limit(static_cast<int32_t>(*limit));
  messaging::v1::MatrixRelationsResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging,
                          &messaging::v1::MessagingService::Stub::MatrixRelations, request,
                          &response));
  ASSIGN_OR_RETURN(nlohmann::json chunk,
                   ClientEvents(response.chunk(), absl::ToUnixMillis(absl::Now())));
  nlohmann::json out = {{"chunk", std::move(chunk)}};
  if (!response.next_batch().empty()) out["next_batch"] = response.next_batch();
  if (!response.prev_batch().empty()) out["prev_batch"] = response.prev_batch();
  // Relations of relations are not followed: the depth is always 1.
  if (recurse) out["recursion_depth"] = 1;
  return http::Response::Json(200, out);
}

}  // namespace

void AddRelationsRoutes(ClientApi& api) {
  auto handler = [&api](ClientRequest& c) { return Relations(api, c); };
  const std::string path = kPath;
  api.RouteExact("GET", path, Access::kUser, handler);
  api.RouteExact("GET", path + "/{rel_type}", Access::kUser, handler);
  api.RouteExact("GET", path + "/{rel_type}/{event_type}", Access::kUser, handler);
}

}  // namespace messenger::gateway::matrix
