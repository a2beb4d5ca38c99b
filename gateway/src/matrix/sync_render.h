// The Matrix sync answer as clients read it, from messaging's MatrixSync.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/http/http_server.h"
#include "messenger/messaging/v1/messaging.pb.h"

namespace messenger::gateway::matrix {

class ClientApi;
class ClientEventText;

// The body is written, not dumped from one tree: the room events come as
// text from `texts` (the same bytes the tree would dump).
absl::StatusOr<http::Response> RenderSync(const messaging::v1::MatrixSyncResponse& r,
                                          int64_t now_ms, ClientEventText& texts);
// Client events of stored ones.
absl::StatusOr<nlohmann::json> ClientEvents(
    const google::protobuf::RepeatedPtrField<messaging::v1::MatrixEvent>& events, int64_t now_ms);
// `from`'s members merged into `into`: objects member by member, anything
// else replaced.
void MergeJson(nlohmann::json& into, const nlohmann::json& from);

// /messages, /context, receipts, read markers, typing (sync_history_routes.cc).
void AddSyncHistoryRoutes(ClientApi& api);

}  // namespace messenger::gateway::matrix
