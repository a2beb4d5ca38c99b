// Bundled m.replace aggregations on every answer that serves events to a
// client (sync timelines, /messages, /context, /event): one query each.
#include "messaging-service/src/domain/matrix_bundles.h"

#include "common/status.h"
#include "messaging-service/src/service/matrix_sync.h"

namespace messenger::messaging {

absl::Status MatrixSync::BundleReplacements(const std::vector<SyncedEvent*>& events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<std::string> ids;
  ids.reserve(events.size());
  for (const SyncedEvent* e : events) ids.push_back(e->event_id);
  ASSIGN_OR_RETURN(auto edits, store_.Replacements(ids));
  for (SyncedEvent* e : events) {
    auto it = edits.find(e->event_id);
    if (it == edits.end()) continue;
    e->pdu = WithBundledEdit(e->pdu, it->second.event_id, it->second.pdu);
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
