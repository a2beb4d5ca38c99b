// Matrix sync filters (POST /user/{userId}/filter, ?filter=): the parts this
// server honours, checked. Type patterns may end in '*' (a prefix).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace messenger::messaging {

inline constexpr int kDefaultTimelineLimit = 10;
inline constexpr int kMaxTimelineLimit = 100;
// A stored or inline filter's JSON text.
inline constexpr size_t kMaxFilterBytes = 8 * 1024;

struct EventTypes {
  std::optional<std::vector<std::string>> types;  // nullopt: every type
  std::vector<std::string> not_types;
  bool Matches(const std::string& type) const;
  // The same patterns as SQL LIKE patterns ('*' -> '%', the rest escaped).
  std::optional<std::vector<std::string>> LikeTypes() const;
  std::vector<std::string> LikeNotTypes() const;
};

struct SyncFilter {
  int timeline_limit = kDefaultTimelineLimit;
  EventTypes timeline;
  bool lazy_load_members = false;
  bool include_leave = false;  // left rooms in an initial sync
  std::optional<std::set<std::string>> rooms;
  std::set<std::string> not_rooms;
  bool WantsRoom(const std::string& room_id) const;
};

// INVALID_ARGUMENT naming the field when a known field has the wrong type
// or the filter is not an object.
absl::StatusOr<SyncFilter> ParseSyncFilter(const nlohmann::json& filter);
// The RoomEventFilter of /messages and /context (limit, types, not_types).
absl::StatusOr<SyncFilter> ParseRoomEventFilter(const nlohmann::json& filter);

}  // namespace messenger::messaging
