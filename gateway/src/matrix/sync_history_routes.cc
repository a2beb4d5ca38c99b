// Room history (/messages, /context), receipts, read markers and typing of
// the Matrix client API; messaging checks membership and visibility.
#include <algorithm>

#include "absl/time/clock.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/client_events.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/sync_render.h"

namespace messenger::gateway::matrix {
namespace {

using messaging::v1::MessagingService;

constexpr int64_t kMaxTypingTimeoutMs = 30'000;  // messaging's bound
constexpr size_t kMaxParamBytes = 8 * 1024;

absl::StatusOr<std::string> FilterParam(ClientRequest& c) {
  absl::StatusOr<std::string> filter = c.query.Text("filter", kMaxParamBytes);
  if (!filter.ok()) return MatrixError(kInvalidParam, "filter is malformed or too long");
  if (!filter->empty() && !nlohmann::json::parse(*filter, nullptr, false).is_object()) {
    return MatrixError(kBadJson, "filter is not a JSON object");
  }
  return *filter;
}

absl::StatusOr<http::Response> Messages(ClientApi& api, ClientRequest& c) {
  messaging::v1::MatrixMessagesRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  const std::string dir(c.query.Get("dir").value_or("b"));
  if (dir != "b" && dir != "f") return MatrixError(kInvalidParam, "dir is b or f");
  request.set_forward(dir == "f");
  absl::StatusOr<std::string> from = c.query.Text("from", 1024);
  absl::StatusOr<std::string> to = c.query.Text("to", 1024);
  absl::StatusOr<int64_t> limit = c.query.Int("limit", 1, 1000, 10);
  if (!from.ok() || !to.ok() || !limit.ok()) {
    return MatrixError(kInvalidParam, "from, to or limit is malformed");
  }
  request.set_from(*from);
  request.set_to(*to);
  request.set_limit(static_cast<int32_t>(*limit));
  ASSIGN_OR_RETURN(*request.mutable_filter_json(), FilterParam(c));
  messaging::v1::MatrixMessagesResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::MatrixMessages, request, &response));
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  ASSIGN_OR_RETURN(nlohmann::json chunk, ClientEvents(response.chunk(), now_ms));
  nlohmann::json out = {{"chunk", std::move(chunk)}, {"start", response.start()}};
  if (!response.end().empty()) out["end"] = response.end();
  return http::Response::Json(200, out);
}

absl::StatusOr<http::Response> Context(ClientApi& api, ClientRequest& c) {
  messaging::v1::MatrixContextRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  request.set_event_id(c.params["event_id"]);
  absl::StatusOr<int64_t> limit = c.query.Int("limit", 0, 1000, 10);
  if (!limit.ok()) return MatrixError(kInvalidParam, "limit is malformed");
  request.set_limit(static_cast<int32_t>(*limit));
  ASSIGN_OR_RETURN(*request.mutable_filter_json(), FilterParam(c));
  messaging::v1::MatrixContextResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::MatrixContext, request, &response));
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  ASSIGN_OR_RETURN(nlohmann::json event, ClientEvent(response.event(), now_ms));
  ASSIGN_OR_RETURN(nlohmann::json before, ClientEvents(response.events_before(), now_ms));
  ASSIGN_OR_RETURN(nlohmann::json after, ClientEvents(response.events_after(), now_ms));
  ASSIGN_OR_RETURN(nlohmann::json state, ClientEvents(response.state(), now_ms));
  return http::Response::Json(200, {{"event", std::move(event)},
                                    {"events_before", std::move(before)},
                                    {"events_after", std::move(after)},
                                    {"start", response.start()},
                                    {"end", response.end()},
                                    {"state", std::move(state)}});
}

absl::Status SendReceipt(ClientApi& api, ClientRequest& c, const std::string& type,
                         const std::string& event_id) {
  messaging::v1::MatrixReceiptRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  request.set_receipt_type(type);
  request.set_event_id(event_id);
  messaging::v1::MatrixReceiptResponse response;
  Gateway& gw = api.gateway();
  return gw.Call(*gw.stubs().messaging, &MessagingService::Stub::MatrixReceipt, request, &response);
}

absl::StatusOr<http::Response> Receipt(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::optional<std::string> thread, body.OptionalString("thread_id"));
  (void)thread;  // threaded receipts count as the room's
  RETURN_IF_ERROR(SendReceipt(api, c, c.params["receipt_type"], c.params["event_id"]));
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> ReadMarkers(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  for (const char* type : {"m.fully_read", "m.read", "m.read.private"}) {
    ASSIGN_OR_RETURN(std::optional<std::string> event_id, body.OptionalString(type));
    if (event_id) RETURN_IF_ERROR(SendReceipt(api, c, type, *event_id));
  }
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> Typing(ClientApi& api, ClientRequest& c) {
  if (c.params["user_id"] != c.me().user_id) {
    return MatrixError(kForbidden, "you can only set your own typing notice");
  }
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  if (!body.json().contains("typing")) return MatrixError(kMissingParam, "'typing' is required");
  if (!body.json()["typing"].is_boolean()) return MatrixError(kBadJson, "'typing' is a boolean");
  int64_t timeout = kMaxTypingTimeoutMs;
  if (body.json().contains("timeout")) {
    if (!body.json()["timeout"].is_number_integer()) {
      return MatrixError(kBadJson, "'timeout' is an integer of milliseconds");
    }
    timeout = std::clamp<int64_t>(body.json()["timeout"].get<int64_t>(), 1, kMaxTypingTimeoutMs);
  }
  messaging::v1::SetTypingRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_conversation_id(c.params["room_id"]);
  request.set_typing(body.json()["typing"].get<bool>());
  request.set_timeout_ms(static_cast<int32_t>(timeout));
  messaging::v1::SetTypingResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::SetTyping, request, &response));
  return http::Response::Json(200, nlohmann::json::object());
}

}  // namespace

void AddSyncHistoryRoutes(ClientApi& api) {
  auto route = [&api](std::string_view method, std::string_view path,
                      absl::StatusOr<http::Response> (*handler)(ClientApi&, ClientRequest&)) {
    api.Route(method, path, Access::kUser, Versions::kV3AndR0,
              [&api, handler](ClientRequest& c) { return handler(api, c); });
  };
  route("GET", "/rooms/{room_id}/messages", Messages);
  route("GET", "/rooms/{room_id}/context/{event_id}", Context);
  route("POST", "/rooms/{room_id}/receipt/{receipt_type}/{event_id}", Receipt);
  route("POST", "/rooms/{room_id}/read_markers", ReadMarkers);
  route("PUT", "/rooms/{room_id}/typing/{user_id}", Typing);
}

}  // namespace messenger::gateway::matrix
