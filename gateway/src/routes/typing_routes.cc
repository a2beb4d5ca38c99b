// PUT /v1/conversations/{id}/typing and
// GET /v1/conversations/{id}/messages/{message_id}/receipts.
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

using messaging::v1::MessagingService;

// A typing notice lasts this long unless the body says otherwise; longer
// than kMaxTypingTimeoutMs is refused (400), not clamped.
constexpr int64_t kDefaultTypingTimeoutMs = 10'000;
constexpr int64_t kMaxTypingTimeoutMs = 30'000;

absl::StatusOr<messaging::v1::SetTypingRequest> TypingRequest(const RouteContext& c) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
  messaging::v1::SetTypingRequest request;
  request.set_user_id(c.user_id());
  request.set_conversation_id(c.params.at("id"));
  ASSIGN_OR_RETURN(bool typing, body.RequiredBool("typing"));
  ASSIGN_OR_RETURN(std::optional<int64_t> timeout, body.OptionalInt("timeout_ms"));
  if (timeout && (*timeout < 1 || *timeout > kMaxTypingTimeoutMs)) {
    return absl::InvalidArgumentError("field 'timeout_ms' must be from 1 to 30000");
  }
  request.set_typing(typing);
  request.set_timeout_ms(static_cast<int32_t>(timeout.value_or(kDefaultTypingTimeoutMs)));
  return request;
}

}  // namespace

void AddTypingRoutes(Gateway& gw) {
  gw.Route("PUT", "/v1/conversations/{id:room}/typing", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(messaging::v1::SetTypingRequest request, TypingRequest(c));
             messaging::v1::SetTypingResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::SetTyping,
                                     request, &response));
             return http::Response::Empty(204);
           });

  gw.Route(
      "GET", "/v1/conversations/{id:room}/messages/{message_id:message}/receipts", true,
      [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        messaging::v1::GetMessageReceiptsRequest request;
        request.set_user_id(c.user_id());
        request.set_conversation_id(c.params["id"]);
        request.set_message_id(c.params["message_id"]);
        messaging::v1::GetMessageReceiptsResponse response;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::GetMessageReceipts,
                                request, &response));
        nlohmann::json receipts = nlohmann::json::array();
        for (const auto& r : response.receipts()) {
          receipts.push_back(
              {{"user_id", r.user_id()}, {"seen_at", Rfc3339(r.seen_at())}, {"seq", r.seq()}});
        }
        return http::Response::Json(200, {{"receipts", receipts}});
      });
}

}  // namespace messenger::gateway
