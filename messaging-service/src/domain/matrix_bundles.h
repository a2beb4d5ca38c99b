// Bundled aggregations (client-server API, "Aggregations of child events"):
// an event's latest m.replace by its own sender rides along in the
// event's unsigned.m.relations. From room version 10 on the edit is only
// bundled, never applied to the original's content. Pure JSON, no IO.
#pragma once

#include <string>

namespace messenger::messaging {

// `pdu` with unsigned["m.relations"]["m.replace"] set to the edit (its id
// and PDU) in the client form (the federation-only fields left out). The
// client-server API copies a stored PDU's unsigned into the client event,
// so the bundle reaches every answer that serves the event. `pdu` as it is
// when either is not a JSON object.
std::string WithBundledEdit(const std::string& pdu, const std::string& edit_event_id,
                            const std::string& edit_pdu);

}  // namespace messenger::messaging
