#include "messaging-service/src/domain/matrix_bundles.h"

#include <nlohmann/json.hpp>

namespace messenger::messaging {

std::string WithBundledEdit(const std::string& pdu, const std::string& edit_event_id,
                            const std::string& edit_pdu) {
  nlohmann::json event = nlohmann::json::parse(pdu, nullptr, false);
  const nlohmann::json edit = nlohmann::json::parse(edit_pdu, nullptr, false);
  if (!event.is_object() || !edit.is_object()) return pdu;
  // What a client sees of an event (the gateway's ClientEvent keeps the same).
  nlohmann::json client = {{"event_id", edit_event_id}};
  for (const char* key : {"type", "content", "sender", "origin_server_ts", "room_id"}) {
    if (edit.contains(key)) client[key] = edit[key];
  }
  nlohmann::json& unsigned_data = event["unsigned"];
  if (!unsigned_data.is_object()) unsigned_data = nlohmann::json::object();
  unsigned_data["m.relations"]["m.replace"] = std::move(client);
  return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace messenger::messaging
