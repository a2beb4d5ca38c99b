#include "gateway/src/matrix/client_events.h"

#include <algorithm>

namespace messenger::gateway::matrix {

absl::StatusOr<nlohmann::json> ClientEvent(const messaging::v1::MatrixEvent& event,
                                           int64_t now_ms) {
  nlohmann::json pdu = nlohmann::json::parse(event.pdu(), nullptr, false);
  if (!pdu.is_object()) return absl::InternalError("a stored event is not a JSON object");
  nlohmann::json out = nlohmann::json::object();
  // Everything a client sees; hashes, signatures, DAG links, depth and
  // origin stay between servers.
  for (const char* key :
       {"type", "content", "sender", "origin_server_ts", "room_id", "state_key", "redacts"}) {
    if (pdu.contains(key)) out[key] = pdu[key];
  }
  out["event_id"] = event.event_id();
  nlohmann::json unsigned_data = pdu.value("unsigned", nlohmann::json::object());
  if (!unsigned_data.is_object()) unsigned_data = nlohmann::json::object();
  const int64_t ts = pdu.value("origin_server_ts", int64_t{0});
  unsigned_data["age"] = std::max<int64_t>(0, now_ms - ts);
  if (!event.transaction_id().empty()) unsigned_data["transaction_id"] = event.transaction_id();
  out["unsigned"] = std::move(unsigned_data);
  return out;
}

}  // namespace messenger::gateway::matrix
