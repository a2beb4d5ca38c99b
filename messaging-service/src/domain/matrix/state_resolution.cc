#include "messaging-service/src/domain/matrix/state_resolution.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/power_levels.h"

namespace messenger::matrix {

void EventMapSource::Add(const Event& event, bool rejected) {
  events_.insert_or_assign(event.event_id(), event);
  if (rejected) {
    rejected_.insert(event.event_id());
  } else {
    rejected_.erase(event.event_id());
  }
}

const Event* EventMapSource::Find(absl::string_view event_id) const {
  const auto it = events_.find(event_id);
  return it == events_.end() ? nullptr : &it->second;
}

bool EventMapSource::IsRejected(absl::string_view event_id) const {
  return rejected_.find(event_id) != rejected_.end();
}

namespace {

using IdSet = std::set<std::string>;

// Mainline position of an event with no power levels event of the mainline
// in its chain: sorts before every other position.
constexpr int64_t kNoMainline = std::numeric_limits<int64_t>::max();

bool IsPowerEvent(const Event& event) {
  if (!event.is_state()) return false;
  if (event.type() == kPowerLevelsType || event.type() == kJoinRulesType) return true;
  if (event.type() != kMemberType) return false;
  const std::string membership = event.membership();
  return (membership == "leave" || membership == "ban") && event.sender() != *event.state_key();
}

class Resolver {
 public:
  explicit Resolver(const EventSource& events) : events_(events) {}

  absl::StatusOr<StateIds> Resolve(absl::Span<const StateIds> state_sets) {
    StateIds unconflicted;
    IdSet conflicted;
    SplitConflicts(state_sets, unconflicted, conflicted);
    if (conflicted.empty()) return unconflicted;

    // Full conflicted set: the conflicted events plus the auth difference.
    IdSet full = conflicted;
    std::vector<IdSet> chains;
    for (const StateIds& state : state_sets) {
      IdSet starts;
      for (const auto& [key, id] : state) starts.insert(id);
      ASSIGN_OR_RETURN(IdSet chain, AuthChain(starts));
      chains.push_back(std::move(chain));
    }
    for (const IdSet& chain : chains) {
      for (const std::string& id : chain) {
        const bool everywhere = std::all_of(chains.begin(), chains.end(),
                                            [&](const IdSet& other) { return other.contains(id); });
        if (!everywhere) full.insert(id);
      }
    }
    for (const std::string& id : full) RETURN_IF_ERROR(Get(id).status());

    // Steps 1-2: power events (and their auth chains within the full
    // conflicted set) by reverse topological power ordering.
    IdSet power;
    for (const std::string& id : full) {
      if (IsPowerEvent(*events_.Find(id))) power.insert(id);
    }
    // The union of their chains, walked once, is what each chain adds.
    ASSIGN_OR_RETURN(const IdSet power_chains, AuthChain(power));
    for (const std::string& ancestor : power_chains) {
      if (full.contains(ancestor)) power.insert(ancestor);
    }
    ASSIGN_OR_RETURN(const std::vector<std::string> power_order, ReverseTopologicalOrder(power));
    ASSIGN_OR_RETURN(StateIds partial, IterativeAuthChecks(unconflicted, power_order));

    // Steps 3-4: the other events by mainline ordering of the resolved
    // power levels.
    std::vector<std::string> rest;
    for (const std::string& id : full) {
      if (!power.contains(id)) rest.push_back(id);
    }
    ASSIGN_OR_RETURN(rest, MainlineOrder(partial, std::move(rest)));
    ASSIGN_OR_RETURN(StateIds resolved, IterativeAuthChecks(std::move(partial), rest));

    // Step 5: unconflicted state wins.
    for (const auto& [key, id] : unconflicted) resolved[key] = id;
    return resolved;
  }

 private:
  static void SplitConflicts(absl::Span<const StateIds> state_sets, StateIds& unconflicted,
                             IdSet& conflicted) {
    std::set<StateKey> keys;
    for (const StateIds& state : state_sets) {
      for (const auto& [key, id] : state) keys.insert(key);
    }
    for (const StateKey& key : keys) {
      IdSet values;
      bool everywhere = true;
      for (const StateIds& state : state_sets) {
        const auto it = state.find(key);
        if (it == state.end()) {
          everywhere = false;
        } else {
          values.insert(it->second);
        }
      }
      if (everywhere && values.size() == 1) {
        unconflicted[key] = *values.begin();
      } else {
        conflicted.insert(values.begin(), values.end());
      }
    }
  }

  absl::StatusOr<const Event*> Get(const std::string& id) {
    const Event* event = events_.Find(id);
    if (event == nullptr) return absl::NotFoundError(absl::StrCat("unknown event ", id));
    if (touched_.insert(id).second && touched_.size() > kMaxResolutionEvents) {
      return absl::ResourceExhaustedError(
          absl::StrCat("state resolution needs more than ", kMaxResolutionEvents, " events"));
    }
    return event;
  }

  // The union of the auth chains of `starts` (without `starts` themselves,
  // unless one is in another's chain).
  absl::StatusOr<IdSet> AuthChain(const IdSet& starts) {
    IdSet chain;
    std::vector<std::string> pending;
    for (const std::string& id : starts) {
      ASSIGN_OR_RETURN(const Event* event, Get(id));
      pending.insert(pending.end(), event->auth_events().begin(), event->auth_events().end());
    }
    while (!pending.empty()) {
      std::string id = std::move(pending.back());
      pending.pop_back();
      if (!chain.insert(id).second) continue;
      ASSIGN_OR_RETURN(const Event* event, Get(id));
      for (const std::string& auth_id : event->auth_events()) {
        if (!chain.contains(auth_id)) pending.push_back(auth_id);
      }
    }
    return chain;
  }

  // The state the auth rules see for `event`: its auth events that were
  // not rejected, replaced by the partial state where it has the key.
  absl::StatusOr<AuthState> AuthStateFor(const Event& event, const StateIds& partial) {
    AuthState state;
    for (const std::string& id : event.auth_events()) {
      const Event* auth_event = events_.Find(id);
      if (auth_event == nullptr || events_.IsRejected(id) || !auth_event->is_state()) continue;
      RETURN_IF_ERROR(state.Put(*auth_event));
    }
    for (const StateKey& key : AuthEventSelection(event)) {
      const auto it = partial.find(key);
      if (it == partial.end()) continue;
      ASSIGN_OR_RETURN(const Event* current, Get(it->second));
      RETURN_IF_ERROR(state.Put(*current));
    }
    return state;
  }

  absl::StatusOr<StateIds> IterativeAuthChecks(StateIds partial,
                                               const std::vector<std::string>& order) {
    for (const std::string& id : order) {
      ASSIGN_OR_RETURN(const Event* event, Get(id));
      if (!event->is_state()) continue;
      ASSIGN_OR_RETURN(const AuthState state, AuthStateFor(*event, partial));
      // Any refusal (denied, malformed, unsupported) leaves the event out.
      if (Authorize(*event, state).ok()) {
        partial[StateKey{event->type(), *event->state_key()}] = id;
      }
    }
    return partial;
  }

  // The sender's power level as the event's own auth events set it.
  int64_t SenderLevel(const Event& event) {
    AuthState state;
    for (const std::string& id : event.auth_events()) {
      const Event* auth_event = events_.Find(id);
      if (auth_event != nullptr && auth_event->is_state()) state.Put(*auth_event).IgnoreError();
    }
    const absl::StatusOr<PowerLevels> levels = PowerLevels::FromState(state);
    return levels.ok() ? levels->UserLevel(event.sender()) : 0;
  }

  // Kahn's algorithm over the auth DAG, choosing among the ready events the
  // one with the higher sender level, then the older one, then the smaller id.
  absl::StatusOr<std::vector<std::string>> ReverseTopologicalOrder(const IdSet& ids) {
    using Rank = std::tuple<int64_t, int64_t, std::string>;  // (-level, ts, id)
    std::map<std::string, size_t> waiting_on;                // id -> unplaced auth events
    std::map<std::string, std::vector<std::string>> needed_by;
    std::set<Rank> ready;
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(const Event* event, Get(id));
      size_t count = 0;
      for (const std::string& auth_id :
           IdSet(event->auth_events().begin(), event->auth_events().end())) {
        if (!ids.contains(auth_id)) continue;
        ++count;
        needed_by[auth_id].push_back(id);
      }
      waiting_on[id] = count;
      if (count == 0) ready.insert(RankOf(*event));
    }
    std::vector<std::string> order;
    while (!ready.empty()) {
      const std::string id = std::get<2>(*ready.begin());
      ready.erase(ready.begin());
      order.push_back(id);
      for (const std::string& dependent : needed_by[id]) {
        if (--waiting_on[dependent] == 0) ready.insert(RankOf(*events_.Find(dependent)));
      }
    }
    if (order.size() != ids.size()) {
      return absl::InvalidArgumentError("the auth events of the conflicted events form a cycle");
    }
    return order;
  }

  std::tuple<int64_t, int64_t, std::string> RankOf(const Event& event) {
    return {-SenderLevel(event), event.origin_server_ts(), event.event_id()};
  }

  // The m.room.power_levels event among the auth events of `event`, or "".
  absl::StatusOr<std::string> PowerLevelsAuthEvent(const Event& event) {
    for (const std::string& id : event.auth_events()) {
      ASSIGN_OR_RETURN(const Event* auth_event, Get(id));
      if (auth_event->type() == kPowerLevelsType && auth_event->state_key() == "") return id;
    }
    return std::string();
  }

  absl::StatusOr<std::vector<std::string>> MainlineOrder(const StateIds& partial,
                                                         std::vector<std::string> ids) {
    std::map<std::string, int64_t> mainline;  // power levels event id -> index from P0
    const auto p0 = partial.find(StateKey{kPowerLevelsType, ""});
    std::string next = p0 == partial.end() ? "" : p0->second;
    while (!next.empty() && !mainline.contains(next)) {
      mainline.emplace(next, static_cast<int64_t>(mainline.size()));
      ASSIGN_OR_RETURN(const Event* event, Get(next));
      ASSIGN_OR_RETURN(next, PowerLevelsAuthEvent(*event));
    }

    using Rank = std::tuple<int64_t, int64_t, std::string>;  // (-position, ts, id)
    std::vector<Rank> ranks;
    for (std::string& id : ids) {
      ASSIGN_OR_RETURN(const Event* event, Get(id));
      int64_t position = kNoMainline;
      IdSet seen;
      ASSIGN_OR_RETURN(std::string step, PowerLevelsAuthEvent(*event));
      while (!step.empty() && seen.insert(step).second) {
        if (const auto it = mainline.find(step); it != mainline.end()) {
          position = it->second;
          break;
        }
        ASSIGN_OR_RETURN(const Event* ancestor, Get(step));
        ASSIGN_OR_RETURN(step, PowerLevelsAuthEvent(*ancestor));
      }
      // kNoMainline sorts first: negate as "greater position, smaller rank".
      ranks.emplace_back(position == kNoMainline ? std::numeric_limits<int64_t>::min() : -position,
                         event->origin_server_ts(), std::move(id));
    }
    std::sort(ranks.begin(), ranks.end());
    std::vector<std::string> order;
    for (Rank& rank : ranks) order.push_back(std::move(std::get<2>(rank)));
    return order;
  }

  const EventSource& events_;
  IdSet touched_;
};

}  // namespace

absl::StatusOr<StateMap> LoadState(const StateIds& ids, const EventSource& events) {
  StateMap state;
  for (const auto& [key, id] : ids) {
    const Event* event = events.Find(id);
    if (event == nullptr) return absl::NotFoundError(absl::StrCat("unknown state event ", id));
    RETURN_IF_ERROR(state.Put(*event));
  }
  return state;
}

absl::StatusOr<StateIds> ResolveState(absl::Span<const StateIds> state_sets,
                                      const EventSource& events) {
  if (state_sets.empty()) return StateIds();
  return Resolver(events).Resolve(state_sets);
}

}  // namespace messenger::matrix
