#include "gateway/src/matrix/client_event_text.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "gateway/src/matrix/client_events.h"

namespace messenger::gateway::matrix {

struct ClientEventText::Rendered {
  std::string pdu;
  // The client event without "unsigned" and its closing brace: "unsigned"
  // sorts last of the keys a client event has, so it is appended.
  std::string head;
  nlohmann::json unsigned_data;  // the PDU's own, an object
  int64_t origin_server_ts = 0;
};

ClientEventText::ClientEventText(size_t capacity) : cache_("matrix_client_events", capacity) {}

absl::StatusOr<std::shared_ptr<const ClientEventText::Rendered>> ClientEventText::Render(
    const messaging::v1::MatrixEvent& event) {
  if (std::optional<std::shared_ptr<const Rendered>> hit = cache_.Get(event.event_id())) {
    if ((*hit)->pdu == event.pdu()) return *std::move(hit);
  }
  messaging::v1::MatrixEvent bare;
  bare.set_event_id(event.event_id());
  bare.set_pdu(event.pdu());
  ASSIGN_OR_RETURN(nlohmann::json client, ClientEvent(bare, 0));
  auto rendered = std::make_shared<Rendered>();
  rendered->pdu = event.pdu();
  rendered->unsigned_data = std::move(client["unsigned"]);
  rendered->unsigned_data.erase("age");
  client.erase("unsigned");
  rendered->origin_server_ts = client.value("origin_server_ts", int64_t{0});
  rendered->head = client.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  rendered->head.pop_back();  // '}'
  std::shared_ptr<const Rendered> out = std::move(rendered);
  cache_.Put(event.event_id(), out);
  return out;
}

absl::Status ClientEventText::Append(const messaging::v1::MatrixEvent& event, int64_t now_ms,
                                     std::string& out) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Rendered> r, Render(event));
  nlohmann::json unsigned_data = r->unsigned_data;
  unsigned_data["age"] = std::max<int64_t>(0, now_ms - r->origin_server_ts);
  if (!event.transaction_id().empty()) unsigned_data["transaction_id"] = event.transaction_id();
  out += r->head;
  out += r->head.size() > 1 ? ",\"unsigned\":" : "\"unsigned\":";
  out += unsigned_data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += '}';
  return absl::OkStatus();
}

absl::Status ClientEventText::AppendArray(
    const google::protobuf::RepeatedPtrField<messaging::v1::MatrixEvent>& events, int64_t now_ms,
    std::string& out) {
  out += '[';
  for (int i = 0; i < events.size(); ++i) {
    if (i > 0) out += ',';
    RETURN_IF_ERROR(Append(events[i], now_ms, out));
  }
  out += ']';
  return absl::OkStatus();
}

}  // namespace messenger::gateway::matrix
