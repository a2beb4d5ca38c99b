// PDU parsing and validation on untrusted JSON. The input is one PDU, or an
// array of PDUs: the last is authorized against the state events before it
// (as room state) and against them as its auth events. Along the way: the
// redaction algorithm, the hashes, the power levels and the auth event
// selection. Errors are fine; crashes, exceptions and UB are not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/redaction.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace {

using namespace messenger::matrix;  // NOLINT: a fuzzer of this namespace

void Explore(const nlohmann::json& json) {
  if (!json.is_object()) return;
  absl::StatusOr<nlohmann::json> redacted = RedactEvent(json);
  if (redacted.ok()) {
    // Redaction keeps a subset: redacting again changes nothing.
    absl::StatusOr<nlohmann::json> twice = RedactEvent(*redacted);
    if (!twice.ok() || *twice != *redacted) std::abort();
  }
  (void)ContentHash(json);
  (void)VerifyContentHash(json);
  (void)ComputeEventId(json);
}

void Inspect(const Event& event) {
  (void)event.membership();
  (void)AuthEventSelection(event);
  if (event.type() == kPowerLevelsType) {
    absl::StatusOr<PowerLevels> levels = PowerLevels::FromContent(event.content());
    if (levels.ok()) {
      (void)levels->UserLevel(event.sender());
      (void)levels->EventLevel(event.type(), event.is_state());
    }
  }
  // What was validated re-parses to the same event.
  absl::StatusOr<Event> again = Event::Parse(event.canonical_json());
  if (!again.ok() || again->event_id() != event.event_id()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<nlohmann::json> json = ParseJson(text);
  if (!json.ok()) return 0;
  if (!json->is_array()) {
    Explore(*json);
    absl::StatusOr<Event> event = Event::FromJson(*json);
    if (event.ok()) Inspect(*event);
    return 0;
  }
  std::vector<Event> events;
  for (const nlohmann::json& item : *json) {
    Explore(item);
    absl::StatusOr<Event> event = Event::FromJson(item);
    if (!event.ok()) continue;
    Inspect(*event);
    events.push_back(std::move(*event));
  }
  if (events.empty()) return 0;
  const Event& last = events.back();
  StateMap state;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    if (events[i].is_state()) (void)state.Put(events[i]);
  }
  (void)state.Membership(last.sender());
  (void)state.JoinRule();
  absl::StatusOr<PowerLevels> levels = PowerLevels::FromState(state);
  if (levels.ok()) (void)levels->UserLevel(last.sender());
  (void)Authorize(last, state);
  absl::StatusOr<AuthState> auth_state =
      AuthStateFromAuthEvents(last, absl::MakeConstSpan(events.data(), events.size() - 1));
  if (auth_state.ok()) (void)Authorize(last, *auth_state);
  return 0;
}
