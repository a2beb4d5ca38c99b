// A local room of version 10: its state, its DAG tip, and the initial events
// of a new room.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// What a sender wants to put in the room; the room fills in the DAG fields.
struct EventDraft {
  std::string sender;
  std::string type;
  std::optional<std::string> state_key;
  nlohmann::json content = nlohmann::json::object();
  std::optional<std::string> redacts;
};

// A room as this server sees it: its current state and forward extremities
// (the DAG's tips: one, except after another server's concurrent event
// forked the room; the next local event names them all and merges them).
class Room {
 public:
  explicit Room(std::string room_id) : room_id_(std::move(room_id)) {}
  // A room as stored: its current state, latest event and depth.
  static Room Restore(std::string room_id, StateMap state,
                      std::vector<std::string> forward_extremities, int64_t depth) {
    Room room(std::move(room_id));
    room.state_ = std::move(state);
    room.forward_extremities_ = std::move(forward_extremities);
    room.depth_ = depth;
    return room;
  }

  // Builds the next event (prev_events = the forward extremities, auth_events from
  // the auth events selection over the current state, depth + 1), signs it,
  // authorizes it against the current state and applies it.
  absl::StatusOr<Event> Append(const EventDraft& draft, int64_t origin_server_ts,
                               absl::string_view server_name, const Ed25519Key& key);

  // Authorizes an already built event against the current state and applies
  // it (e.g. when replaying stored events). Its prev_events must be the
  // forward extremities (in any order).
  absl::Status Accept(const Event& event);

  // An event that does not extend the forward extremities (a fork), already
  // authorized against the state before it: the room takes `state` (the
  // resolution of its branches) and the extremities ExtremitiesAfter names.
  void AcceptForked(const Event& event, StateMap state);

  // The ids of the current state events the selection names for `draft`.
  std::vector<std::string> AuthEventIds(const EventDraft& draft) const;

  const std::string& room_id() const { return room_id_; }
  const StateMap& state() const { return state_; }
  const std::vector<std::string>& forward_extremities() const { return forward_extremities_; }
  int64_t depth() const { return depth_; }

 private:
  std::string room_id_;
  StateMap state_;
  std::vector<std::string> forward_extremities_;
  int64_t depth_ = 0;
};

// The same event ids, in any order.
bool SameEventIds(const std::vector<std::string>& a, const std::vector<std::string>& b);

// The forward extremities once `event` is in: those it does not name as
// prev_events, then the event itself.
std::vector<std::string> ExtremitiesAfter(const std::vector<std::string>& extremities,
                                          const Event& event);

struct NewRoomOptions {
  std::string room_id;  // "!opaque:server_name", see NewRoomId
  std::string creator;  // a local user
  std::string join_rule = "invite";
  std::string history_visibility = "shared";
  std::optional<std::string> name;
  std::optional<std::string> topic;
  int64_t origin_server_ts = 0;
};

struct CreatedRoom {
  Room room;
  std::vector<Event> events;  // in DAG order
};

// The events of a new room in the order createRoom prescribes: m.room.create
// (room_version "10"), the creator's join, m.room.power_levels,
// m.room.join_rules, m.room.history_visibility, then m.room.name and
// m.room.topic when given. Each one passes the v10 authorization rules.
absl::StatusOr<CreatedRoom> CreateRoom(const NewRoomOptions& options, absl::string_view server_name,
                                       const Ed25519Key& key);

}  // namespace messenger::matrix
