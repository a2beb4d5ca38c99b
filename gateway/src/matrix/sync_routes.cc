// GET /v3/sync and the filters. Messaging decides what a sync shows (its
// MatrixSync never waits); this file parks long polls in the gateway's wait
// hub like /v1/sync (no thread, no gRPC call while waiting) and renders the
// answer. No sync memo: a wake-up with news only in a user sync section
// (to-device, account data) must be looked at, not skipped.
#include "absl/time/clock.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/client_event_text.h"
#include "gateway/src/matrix/client_events.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/sync_render.h"

namespace messenger::gateway::matrix {
namespace {

using messaging::v1::MessagingService;

// Longer asks are cut to this (the spec sets no bound).
constexpr int64_t kMaxSyncTimeoutMs = 60'000;
constexpr size_t kMaxFilterParamBytes = 8 * 1024;
// Client events kept rendered for sync answers (~1-2 KiB each): an initial
// sync of 500 rooms shows about 9,000.
constexpr size_t kEventTextEntries = 20'000;

struct MatrixPoll {
  Gateway* gateway = nullptr;
  std::shared_ptr<ClientEventText> texts;
  messaging::v1::MatrixSyncRequest request;
  absl::Time deadline;
  AsyncDone done;
};

void Look(std::shared_ptr<MatrixPoll> poll);

void Park(std::shared_ptr<MatrixPoll> poll, uint64_t version) {
  poll->gateway->sync_hub().Wait(
      poll->request.user_id(), version, poll->deadline, [poll] { Look(poll); },
      // Pushed out by a newer poll of the same user: nothing new.
      [poll] {
        poll->done(http::Response::Json(200, {{"next_batch", poll->request.since()}}));
      });
}

void Look(std::shared_ptr<MatrixPoll> poll) {
  Gateway& gw = *poll->gateway;
  const uint64_t version = gw.sync_hub().Version(poll->request.user_id());
  messaging::v1::MatrixSyncRequest request = poll->request;
  gw.CallAsync<messaging::v1::MatrixSyncRequest, messaging::v1::MatrixSyncResponse>(
      [&gw](auto* context, auto* request, auto* response, auto on_done) {
        gw.stubs().messaging->async()->MatrixSync(context, request, response, std::move(on_done));
      },
      std::move(request),
      [poll, version](absl::Status status, const messaging::v1::MatrixSyncResponse& r) {
        if (!status.ok()) return poll->done(status);
        if (r.has_news() || absl::Now() >= poll->deadline || poll->gateway->sync_hub().stopping()) {
          return poll->done(RenderSync(r, absl::ToUnixMillis(absl::Now()), *poll->texts));
        }
        // Nothing yet: wait from the new token (the stream moved on for
        // others meanwhile).
        poll->request.set_since(r.next_batch());
        Park(poll, version);
      });
}

void Sync(ClientApi& api, std::shared_ptr<ClientEventText> texts, ClientRequest& c,
          AsyncDone done) {
  auto poll = std::make_shared<MatrixPoll>();
  poll->gateway = &api.gateway();
  poll->texts = std::move(texts);
  poll->done = std::move(done);
  absl::StatusOr<int64_t> timeout = c.query.Int("timeout", 0, INT64_MAX, 0);
  if (!timeout.ok()) return poll->done(MatrixError(kInvalidParam, "timeout is milliseconds"));
  absl::StatusOr<std::string> since = c.query.Text("since", 1024);
  absl::StatusOr<std::string> filter = c.query.Text("filter", kMaxFilterParamBytes);
  if (!since.ok() || !filter.ok()) {
    return poll->done(MatrixError(kInvalidParam, "since or filter is malformed or too long"));
  }
  const std::string full_state(c.query.Get("full_state").value_or("false"));
  if (full_state != "true" && full_state != "false") {
    return poll->done(MatrixError(kInvalidParam, "full_state is true or false"));
  }
  // Presence is not kept; any spec value is accepted.
  const std::string presence(c.query.Get("set_presence").value_or("online"));
  if (presence != "online" && presence != "offline" && presence != "unavailable") {
    return poll->done(MatrixError(kInvalidParam, "set_presence is online, offline or unavailable"));
  }
  if (!filter->empty() && filter->front() == '{') {
    nlohmann::json parsed = nlohmann::json::parse(*filter, nullptr, false);
    if (!parsed.is_object())
      return poll->done(MatrixError(kBadJson, "filter is not a JSON object"));
  }
  poll->request.set_user_id(c.me().session.user_id);
  poll->request.set_device_id(c.me().session.device_id);
  poll->request.set_since(*since);
  poll->request.set_filter(*filter);
  poll->request.set_full_state(full_state == "true");
  poll->deadline = absl::Now() + absl::Milliseconds(std::min(*timeout, kMaxSyncTimeoutMs));
  Look(poll);
}

absl::Status CheckOwnUser(ClientRequest& c) {
  if (c.params["user_id"] != c.me().user_id) {
    return MatrixError(kForbidden, "you can only use your own filters");
  }
  return absl::OkStatus();
}

absl::StatusOr<http::Response> PutFilter(ClientApi& api, ClientRequest& c) {
  RETURN_IF_ERROR(CheckOwnUser(c));
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::PutMatrixFilterRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_filter_json(body.json().dump());
  messaging::v1::PutMatrixFilterResponse response;
  Gateway& gw = api.gateway();
  absl::Status status =
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::PutMatrixFilter, request, &response);
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    return MatrixError(kBadJson, std::string(status.message()));
  }
  RETURN_IF_ERROR(status);
  return http::Response::Json(200, {{"filter_id", response.filter_id()}});
}

absl::StatusOr<http::Response> GetFilter(ClientApi& api, ClientRequest& c) {
  RETURN_IF_ERROR(CheckOwnUser(c));
  messaging::v1::GetMatrixFilterRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_filter_id(c.params["filter_id"]);
  messaging::v1::GetMatrixFilterResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::GetMatrixFilter, request, &response));
  nlohmann::json filter = nlohmann::json::parse(response.filter_json(), nullptr, false);
  if (!filter.is_object()) return absl::InternalError("a stored filter is not a JSON object");
  return http::Response::Json(200, filter);
}

}  // namespace

void AddSyncRoutes(ClientApi& api) {
  auto texts = std::make_shared<ClientEventText>(kEventTextEntries);
  api.RouteAsync(
      "GET", "/sync", Versions::kV3AndR0,
      [&api, texts](ClientRequest& c, AsyncDone done) { Sync(api, texts, c, std::move(done)); });
  api.Route("POST", "/user/{user_id}/filter", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return PutFilter(api, c); });
  api.Route("GET", "/user/{user_id}/filter/{filter_id}", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return GetFilter(api, c); });
  AddSyncHistoryRoutes(api);
}

}  // namespace messenger::gateway::matrix
