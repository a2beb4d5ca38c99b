#include "messaging-service/src/domain/matrix_filter.h"

#include <algorithm>

namespace messenger::messaging {
namespace {

absl::Status Bad(const std::string& field, const char* what) {
  return absl::InvalidArgumentError("filter field '" + field + "' must be " + what);
}

absl::StatusOr<const nlohmann::json*> Object(const nlohmann::json& parent, const char* key,
                                             const std::string& path) {
  if (!parent.contains(key)) return nullptr;
  const nlohmann::json& value = parent[key];
  if (!value.is_object()) return Bad(path + key, "an object");
  return &value;
}

absl::StatusOr<std::optional<std::vector<std::string>>> Strings(const nlohmann::json& parent,
                                                                const char* key,
                                                                const std::string& path) {
  if (!parent.contains(key)) return std::nullopt;
  const nlohmann::json& value = parent[key];
  if (!value.is_array() || value.size() > 1000) return Bad(path + key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) return Bad(path + key, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::Status ReadBool(const nlohmann::json& parent, const char* key, const std::string& path,
                      bool* out) {
  if (!parent.contains(key)) return absl::OkStatus();
  if (!parent[key].is_boolean()) return Bad(path + key, "a boolean");
  *out = parent[key].get<bool>();
  return absl::OkStatus();
}

// limit, types, not_types, lazy_load_members of a RoomEventFilter.
absl::Status ReadEventFilter(const nlohmann::json& f, const std::string& path, bool timeline,
                             SyncFilter* out) {
  if (f.contains("limit")) {
    if (!f["limit"].is_number_integer() || f["limit"].get<int64_t>() < 1) {
      return Bad(path + "limit", "a positive integer");
    }
    out->timeline_limit =
        static_cast<int>(std::min<int64_t>(f["limit"].get<int64_t>(), kMaxTimelineLimit));
  }
  auto types = Strings(f, "types", path);
  if (!types.ok()) return types.status();
  auto not_types = Strings(f, "not_types", path);
  if (!not_types.ok()) return not_types.status();
  if (timeline) {
    out->timeline.types = *types;
    if (*not_types) out->timeline.not_types = **not_types;
  }
  return ReadBool(f, "lazy_load_members", path, &out->lazy_load_members);
}

std::string Like(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*' && i + 1 == pattern.size()) {
      out += '%';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

bool PatternMatches(const std::string& pattern, const std::string& type) {
  if (!pattern.empty() && pattern.back() == '*') {
    return type.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  }
  return pattern == type;
}

}  // namespace

bool EventTypes::Matches(const std::string& type) const {
  auto matches = [&type](const std::string& p) { return PatternMatches(p, type); };
  if (std::any_of(not_types.begin(), not_types.end(), matches)) return false;
  return !types || std::any_of(types->begin(), types->end(), matches);
}

std::optional<std::vector<std::string>> EventTypes::LikeTypes() const {
  if (!types) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& t : *types) out.push_back(Like(t));
  return out;
}

std::vector<std::string> EventTypes::LikeNotTypes() const {
  std::vector<std::string> out;
  for (const auto& t : not_types) out.push_back(Like(t));
  return out;
}

bool SyncFilter::WantsRoom(const std::string& room_id) const {
  if (not_rooms.count(room_id) > 0) return false;
  return !rooms || rooms->count(room_id) > 0;
}

absl::StatusOr<SyncFilter> ParseSyncFilter(const nlohmann::json& filter) {
  if (!filter.is_object()) return absl::InvalidArgumentError("a filter is a JSON object");
  SyncFilter out;
  auto room = Object(filter, "room", "");
  if (!room.ok()) return room.status();
  if (*room == nullptr) return out;
  const nlohmann::json& r = **room;
  auto rooms = Strings(r, "rooms", "room.");
  if (!rooms.ok()) return rooms.status();
  if (*rooms) out.rooms = std::set<std::string>((*rooms)->begin(), (*rooms)->end());
  auto not_rooms = Strings(r, "not_rooms", "room.");
  if (!not_rooms.ok()) return not_rooms.status();
  if (*not_rooms) out.not_rooms = std::set<std::string>((*not_rooms)->begin(), (*not_rooms)->end());
  if (absl::Status s = ReadBool(r, "include_leave", "room.", &out.include_leave); !s.ok()) return s;
  for (const char* part : {"state", "timeline", "ephemeral", "account_data"}) {
    auto f = Object(r, part, "room.");
    if (!f.ok()) return f.status();
    if (*f == nullptr) continue;
    const std::string name = part;
    SyncFilter scratch;  // ephemeral and account_data limits are not honoured
    SyncFilter* into = name == "timeline" || name == "state" ? &out : &scratch;
    const int limit = out.timeline_limit;
    if (absl::Status s = ReadEventFilter(**f, "room." + name + ".", name == "timeline", into);
        !s.ok()) {
      return s;
    }
    if (name == "state") out.timeline_limit = limit;  // a state limit is not the timeline's
  }
  return out;
}

absl::StatusOr<SyncFilter> ParseRoomEventFilter(const nlohmann::json& filter) {
  if (!filter.is_object()) return absl::InvalidArgumentError("a filter is a JSON object");
  SyncFilter out;
  if (absl::Status s = ReadEventFilter(filter, "", true, &out); !s.ok()) return s;
  return out;
}

}  // namespace messenger::messaging
