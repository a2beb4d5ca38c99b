#include "messaging-service/src/domain/matrix/power_levels.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

absl::Status ReadLevel(const Json& content, const char* key, int64_t& out) {
  const auto it = content.find(key);
  if (it == content.end()) return absl::OkStatus();
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("power level `", key, "` is not an integer"));
  }
  out = it->get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadLevelMap(const Json& content, const char* key,
                          std::map<std::string, int64_t, std::less<>>& out) {
  const auto it = content.find(key);
  if (it == content.end()) return absl::OkStatus();
  if (!it->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("power levels `", key, "` is not an object"));
  }
  for (const auto& [name, level] : it->items()) {
    if (!level.is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat("power level `", key, ".", name, "` is not an integer"));
    }
    out[name] = level.get<int64_t>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PowerLevels> PowerLevels::FromContent(const nlohmann::json& content) {
  if (!content.is_object()) return absl::InvalidArgumentError("power levels must be an object");
  PowerLevels levels;
  RETURN_IF_ERROR(ReadLevel(content, "users_default", levels.users_default_));
  RETURN_IF_ERROR(ReadLevel(content, "events_default", levels.events_default_));
  RETURN_IF_ERROR(ReadLevel(content, "state_default", levels.state_default_));
  RETURN_IF_ERROR(ReadLevel(content, "ban", levels.ban_));
  RETURN_IF_ERROR(ReadLevel(content, "kick", levels.kick_));
  RETURN_IF_ERROR(ReadLevel(content, "invite", levels.invite_));
  RETURN_IF_ERROR(ReadLevel(content, "redact", levels.redact_));
  RETURN_IF_ERROR(ReadLevelMap(content, "users", levels.users_));
  RETURN_IF_ERROR(ReadLevelMap(content, "events", levels.events_));
  return levels;
}

absl::StatusOr<PowerLevels> PowerLevels::FromState(const StateMap& state) {
  if (const Event* event = state.power_levels(); event != nullptr) {
    return FromContent(event->content());
  }
  PowerLevels levels;
  if (const Event* create = state.create(); create != nullptr) {
    const auto creator = create->content().find("creator");
    if (creator != create->content().end() && creator->is_string()) {
      levels.users_[creator->get<std::string>()] = 100;
    }
  }
  return levels;
}

int64_t PowerLevels::UserLevel(absl::string_view user_id) const {
  const auto it = users_.find(user_id);
  return it == users_.end() ? users_default_ : it->second;
}

int64_t PowerLevels::EventLevel(absl::string_view type, bool is_state) const {
  const auto it = events_.find(type);
  if (it != events_.end()) return it->second;
  return is_state ? state_default_ : events_default_;
}

nlohmann::json DefaultPowerLevelsContent(absl::string_view creator) {
  return {
      {"users", {{std::string(creator), 100}}},
      {"users_default", 0},
      {"events",
       {{"m.room.name", 50},
        {"m.room.power_levels", 100},
        {"m.room.history_visibility", 100},
        {"m.room.canonical_alias", 50},
        {"m.room.avatar", 50},
        {"m.room.tombstone", 100},
        {"m.room.server_acl", 100},
        {"m.room.encryption", 100}}},
      {"events_default", 0},
      {"state_default", 50},
      {"ban", 50},
      {"kick", 50},
      {"redact", 50},
      {"invite", 0},
  };
}

}  // namespace messenger::matrix
