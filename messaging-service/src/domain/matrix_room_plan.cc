#include "messaging-service/src/domain/matrix_room_plan.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::messaging {
namespace {

constexpr char kGuestAccessType[] = "m.room.guest_access";

// State that createRoom writes itself: initial_state may not replace it.
bool Reserved(const std::string& type) {
  return type == matrix::kCreateType || type == matrix::kMemberType ||
         type == matrix::kPowerLevelsType;
}

absl::Status CheckInitialState(const nlohmann::json& initial_state) {
  if (initial_state.is_null()) return absl::OkStatus();
  if (!initial_state.is_array()) {
    return absl::InvalidArgumentError("initial_state must be an array");
  }
  if (initial_state.size() > kMaxInitialState) {
    return absl::InvalidArgumentError(
        absl::StrCat("initial_state takes at most ", kMaxInitialState, " events"));
  }
  for (const auto& e : initial_state) {
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string() || !e.contains("content") ||
        !e["content"].is_object() || (e.contains("state_key") && !e["state_key"].is_string())) {
      return absl::InvalidArgumentError(
          "initial_state events need a string type, an object content and a string state_key");
    }
    const std::string type = e["type"].get<std::string>();
    if (type.empty() || type.size() > matrix::kMaxTypeBytes) {
      return absl::InvalidArgumentError("initial_state: bad event type");
    }
    if (Reserved(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("initial_state cannot set ", type, " (createRoom writes it)"));
    }
  }
  return absl::OkStatus();
}

// The power levels of the new room: the defaults with the creator at 100,
// trusted_private_chat's invitees (and a direct room's peer) at 100 too, then
// the override's top-level keys.
absl::StatusOr<nlohmann::json> PowerLevelsOf(const MatrixRoomRequest& r,
                                             const std::string& preset) {
  nlohmann::json content = matrix::DefaultPowerLevelsContent(r.creator);
  if (preset == kPresetTrustedPrivate || r.is_direct) {
    for (const auto& user : r.invite) content["users"][user] = 100;
  }
  if (!r.power_level_content_override.is_null()) {
    if (!r.power_level_content_override.is_object()) {
      return absl::InvalidArgumentError("power_level_content_override must be an object");
    }
    for (const auto& [key, value] : r.power_level_content_override.items()) content[key] = value;
  }
  absl::StatusOr<matrix::PowerLevels> parsed = matrix::PowerLevels::FromContent(content);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("power_level_content_override: ", parsed.status().message()));
  }
  return content;
}

}  // namespace

absl::StatusOr<std::string> EffectivePreset(const std::string& preset) {
  if (preset.empty()) return std::string(kPresetPrivate);
  if (preset == kPresetPrivate || preset == kPresetTrustedPrivate || preset == kPresetPublic) {
    return preset;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown preset ", preset));
}

bool NeedsFriendship(const MatrixRoomRequest& request) {
  return request.is_direct || request.preset != kPresetPublic;
}

absl::StatusOr<std::vector<matrix::EventDraft>> PlanMatrixRoom(const MatrixRoomRequest& r) {
  if (!r.room_version.empty() && r.room_version != matrix::kRoomVersion) {
    return absl::FailedPreconditionError(absl::StrCat("room version ", r.room_version,
                                                      " is not supported; this server makes ",
                                                      matrix::kRoomVersion));
  }
  ASSIGN_OR_RETURN(std::string preset, EffectivePreset(r.preset));
  if (r.invite.size() > kMaxCreateRoomInvites) {
    return absl::InvalidArgumentError(
        absl::StrCat("invite takes at most ", kMaxCreateRoomInvites, " users"));
  }
  if (std::set<std::string>(r.invite.begin(), r.invite.end()).size() != r.invite.size()) {
    return absl::InvalidArgumentError("invite names a user twice");
  }
  RETURN_IF_ERROR(CheckInitialState(r.initial_state));
  ASSIGN_OR_RETURN(nlohmann::json power_levels, PowerLevelsOf(r, preset));

  std::vector<matrix::EventDraft> drafts;
  auto state = [&](std::string type, nlohmann::json content, std::string key = "") {
    drafts.push_back(
        {r.creator, std::move(type), std::move(key), std::move(content), std::nullopt});
  };
  state(matrix::kCreateType, {{"room_version", matrix::kRoomVersion}, {"creator", r.creator}});
  state(matrix::kMemberType, {{"membership", "join"}}, r.creator);
  state(matrix::kPowerLevelsType, power_levels);
  // The preset's state, unless initial_state sets the same (type, key).
  std::set<std::pair<std::string, std::string>> given;
  if (r.initial_state.is_array()) {
    for (const auto& e : r.initial_state) {
      given.emplace(e["type"].get<std::string>(), e.value("state_key", ""));
    }
  }
  const bool is_public = preset == kPresetPublic;
  auto preset_state = [&](const char* type, const char* field, const char* value) {
    if (!given.count({type, ""})) state(type, {{field, value}});
  };
  preset_state(matrix::kJoinRulesType, "join_rule", is_public ? "public" : "invite");
  preset_state(matrix::kHistoryVisibilityType, "history_visibility", "shared");
  preset_state(kGuestAccessType, "guest_access", is_public ? "forbidden" : "can_join");
  if (r.initial_state.is_array()) {
    for (const auto& e : r.initial_state) {
      state(e["type"].get<std::string>(), e["content"], e.value("state_key", ""));
    }
  }
  if (r.name) state(matrix::kNameType, {{"name", *r.name}});
  if (r.topic) state(matrix::kTopicType, {{"topic", *r.topic}});
  for (const auto& user : r.invite) {
    nlohmann::json invite = {{"membership", "invite"}};
    if (r.is_direct) invite["is_direct"] = true;
    state(matrix::kMemberType, std::move(invite), user);
  }
  return drafts;
}

}  // namespace messenger::messaging
