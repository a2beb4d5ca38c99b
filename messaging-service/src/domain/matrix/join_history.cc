#include "messaging-service/src/domain/matrix/join_history.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "messaging-service/src/domain/matrix/auth_rules.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

// Older first; the time and id only break ties of a fork, deterministically.
bool Older(const Event& a, const Event& b) {
  return std::make_tuple(a.depth(), a.origin_server_ts(), a.event_id()) <
         std::make_tuple(b.depth(), b.origin_server_ts(), b.event_id());
}

// Known events first, then the history accepted so far.
class HistorySource final : public EventSource {
 public:
  explicit HistorySource(const EventSource& known) : known_(known) {}
  void Add(const Event& e) { accepted_.Add(e); }
  const Event* Find(absl::string_view id) const override {
    const Event* e = known_.Find(id);
    return e != nullptr ? e : accepted_.Find(id);
  }
  bool IsRejected(absl::string_view id) const override { return known_.IsRejected(id); }

 private:
  const EventSource& known_;
  EventMapSource accepted_;
};

// Rule 2 and the others against the event's own auth events.
bool AuthorizedByItsAuthEvents(const Event& event, const EventSource& source) {
  std::vector<Event> auth_events;
  for (const std::string& id : event.auth_events()) {
    const Event* e = source.Find(id);
    if (e == nullptr || source.IsRejected(id)) return false;
    auth_events.push_back(*e);
  }
  absl::StatusOr<AuthState> state = AuthStateFromAuthEvents(event, auth_events);
  return state.ok() && Authorize(event, *state).ok();
}

}  // namespace

absl::StatusOr<JoinHistory> CheckJoinHistory(const Json& answer, const std::string& room_id,
                                             const EventSource& known, ServerKeySource& keys,
                                             size_t limit) {
  if (!answer.is_object()) return absl::FailedPreconditionError("backfill: not a JSON object");
  const auto pdus = answer.find("pdus");
  if (pdus == answer.end() || !pdus->is_array()) {
    return absl::FailedPreconditionError("backfill: no pdus array");
  }
  JoinHistory history;
  std::vector<Event> candidates;
  std::set<std::string> seen;
  for (const Json& pdu : *pdus) {
    if (candidates.size() + history.dropped >= limit) break;
    absl::StatusOr<CheckedPdu> checked = CheckPduFormatAndSignatures(pdu, keys);
    if (!checked.ok() || checked->event.room_id() != room_id) {
      ++history.dropped;
      continue;
    }
    const std::string& id = checked->event.event_id();
    if (known.Find(id) != nullptr || !seen.insert(id).second) continue;
    candidates.push_back(std::move(checked->event));
  }
  // Oldest first, so that each event's auth events are checked before it.
  std::sort(candidates.begin(), candidates.end(), Older);
  HistorySource source(known);
  for (Event& event : candidates) {
    if (!AuthorizedByItsAuthEvents(event, source)) {
      ++history.dropped;
      continue;
    }
    source.Add(event);
    history.events.push_back(std::move(event));
  }
  return history;
}

}  // namespace messenger::matrix
