// Power levels as the v10 authorization rules read them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

class PowerLevels {
 public:
  // From the state's m.room.power_levels content, or, when the room has none,
  // the v1-v11 defaults: the creator (m.room.create content.creator) at 100,
  // everyone else at 0. InvalidArgument when a value is not an integer.
  static absl::StatusOr<PowerLevels> FromState(const StateMap& state);
  // From m.room.power_levels content alone (no creator fallback).
  static absl::StatusOr<PowerLevels> FromContent(const nlohmann::json& content);

  int64_t UserLevel(absl::string_view user_id) const;
  // The event type's required power level: `events[type]`, else
  // state_default for state events and events_default otherwise.
  int64_t EventLevel(absl::string_view type, bool is_state) const;

  int64_t users_default() const { return users_default_; }
  int64_t events_default() const { return events_default_; }
  int64_t state_default() const { return state_default_; }
  int64_t ban() const { return ban_; }
  int64_t kick() const { return kick_; }
  int64_t invite() const { return invite_; }
  int64_t redact() const { return redact_; }

 private:
  std::map<std::string, int64_t, std::less<>> users_;
  std::map<std::string, int64_t, std::less<>> events_;
  int64_t users_default_ = 0;
  int64_t events_default_ = 0;
  int64_t state_default_ = 50;
  int64_t ban_ = 50;
  int64_t kick_ = 50;
  int64_t invite_ = 0;
  int64_t redact_ = 50;
};

// Content of the m.room.power_levels event of a new room: the creator at 100
// and the usual levels for sensitive state.
nlohmann::json DefaultPowerLevelsContent(absl::string_view creator);

}  // namespace messenger::matrix
