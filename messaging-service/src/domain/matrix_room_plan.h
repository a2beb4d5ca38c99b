// The events of a room made by the Matrix client API's createRoom, in the
// order the spec prescribes (create, creator's join, power levels, preset
// state, initial_state, name, topic, invites). Pure: ids are Matrix ids.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

inline constexpr char kPresetPrivate[] = "private_chat";
inline constexpr char kPresetTrustedPrivate[] = "trusted_private_chat";
inline constexpr char kPresetPublic[] = "public_chat";
// Most invitees one createRoom takes (the size of a group).
inline constexpr size_t kMaxCreateRoomInvites = 100;
// Most initial_state events one createRoom takes.
inline constexpr size_t kMaxInitialState = 20;

struct MatrixRoomRequest {
  std::string creator;  // @user:server
  std::string preset;   // "" = by visibility (private_chat)
  bool is_direct = false;
  std::vector<std::string> invite;  // @user:server, without the creator
  std::optional<std::string> name;
  std::optional<std::string> topic;
  // Arrays / objects as given (null when absent).
  nlohmann::json initial_state;
  nlohmann::json power_level_content_override;
  std::string room_version;  // "" = ours
};

// The preset to apply: `preset`, or private_chat when empty. InvalidArgument
// for an unknown preset.
absl::StatusOr<std::string> EffectivePreset(const std::string& preset);

// Whether the contact policy applies: direct rooms and private presets need
// every invitee to be the creator's friend; public rooms follow plain Matrix
// rules.
bool NeedsFriendship(const MatrixRoomRequest& request);

// The drafts of the new room's events. InvalidArgument (with the field) for
// malformed input; FailedPrecondition for an unsupported room version.
absl::StatusOr<std::vector<matrix::EventDraft>> PlanMatrixRoom(const MatrixRoomRequest& request);

}  // namespace messenger::messaging
