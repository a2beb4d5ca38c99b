// State resolution v2 (spec rooms/fragments/v2-state-res.md), the algorithm
// of room version 10: where branches of the room DAG meet, the state before
// the merging event is the resolution of the states after its prev events.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {

// A room state as event ids: (type, state_key) -> event id.
using StateIds = std::map<StateKey, std::string>;

// Bounds one resolution: events of the state sets and their auth chains
// together. A larger room state needs more than a request may spend.
inline constexpr size_t kMaxResolutionEvents = 50000;

// Where the resolution reads the events of the state sets and of their auth
// chains (storage, a fetch from other servers or memory: not the algorithm's
// concern).
class EventSource {
 public:
  virtual ~EventSource() = default;
  // nullptr when the event is not known.
  virtual const Event* Find(absl::string_view event_id) const = 0;
  // True for an event rejected by the auth rules: the iterative auth checks
  // do not use it as an auth event.
  virtual bool IsRejected(absl::string_view event_id) const = 0;
};

// Events held in memory, e.g. what a transaction brought plus what was read.
class EventMapSource final : public EventSource {
 public:
  void Add(const Event& event, bool rejected = false);
  const Event* Find(absl::string_view event_id) const override;
  bool IsRejected(absl::string_view event_id) const override;
  size_t size() const { return events_.size(); }

 private:
  std::map<std::string, Event, std::less<>> events_;
  std::set<std::string, std::less<>> rejected_;
};

// The events of `ids` as a state map; NotFound for an unknown one.
absl::StatusOr<StateMap> LoadState(const StateIds& ids, const EventSource& events);

// The resolution of `state_sets`. NotFound when an event of a state set or of
// an auth chain is not in `events`, ResourceExhausted past
// kMaxResolutionEvents. The result does not depend on the order of the sets.
absl::StatusOr<StateIds> ResolveState(absl::Span<const StateIds> state_sets,
                                      const EventSource& events);

}  // namespace messenger::matrix
