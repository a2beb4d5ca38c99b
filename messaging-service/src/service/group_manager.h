// Group management over Matrix rooms: adding (invite + a join the server
// writes on the new member's behalf), removing (a kick), leaving, a group's
// name/topic/avatar, roles (power levels) and the group's details. Every
// write goes through the RoomWriter, where the Matrix auth rules decide; its
// bus events and sync notices commit in the same transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/domain/group_rules.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/service/messaging_manager.h"

namespace messenger::messaging {

struct MemberView {
  std::string user_id;
  std::string role;  // "admin" | "member"
};

struct ConversationDetails {
  std::string room_id;
  std::string kind;  // "direct" | "group"
  std::optional<std::string> name, topic, avatar_url;
  std::vector<MemberView> members;  // joined, by user id
};

class GroupManager {
 public:
  GroupManager(MessagingManager& messaging, MessagingStore& store, FriendChecker& friends,
               const Clock& clock, Rng& rng, int64_t max_members);

  // Adds contacts of `actor` (1..kMaxMembersPerAdd); the users added.
  absl::StatusOr<std::vector<std::string>> AddMembers(const std::string& actor,
                                                      const std::string& room_id,
                                                      const std::vector<std::string>& user_ids);
  absl::Status RemoveMember(const std::string& actor, const std::string& room_id,
                            const std::string& user_id);
  absl::Status Leave(const std::string& user_id, const std::string& room_id);
  absl::Status Update(const std::string& actor, const std::string& room_id,
                      ConversationPatch patch);
  absl::Status SetRole(const std::string& actor, const std::string& room_id,
                       const std::string& user_id, std::string_view role);
  absl::StatusOr<ConversationDetails> Details(const std::string& user_id,
                                              const std::string& room_id);

 private:
  // The room, when `user` is joined: NOT_FOUND without the room,
  // PERMISSION_DENIED for a non-member.
  absl::StatusOr<RoomRow> JoinedRoom(const std::string& room_id, const std::string& user);
  // JoinedRoom of a group (direct rooms are refused).
  absl::StatusOr<RoomRow> JoinedGroup(const std::string& room_id, const std::string& user);
  // The room's current state as `user`, a member, may read it.
  absl::StatusOr<matrix::StateMap> CurrentState(const std::string& user,
                                                const std::string& room_id);
  // Writes the drafts `plan` makes under the room lock, then `extra` and a notice of `kind` about `about` to
  // every member still joined, in one transaction.
  absl::Status Write(const std::string& room_id, const RoomWriter::Plan& plan,
                     const std::string& kind, const std::optional<std::string>& about,
                     const RoomWriter::Extra& extra);

  // The extra rows of a leave or kick: its bus event, and the sync notice of
  // the one who went (no longer among the joined members).
  RoomWriter::Extra Removal(const std::string& room_id, const std::string& user,
                            const std::string& by, const std::string& reason);

  MessagingManager& messaging_;
  MessagingStore& store_;
  FriendChecker& friends_;
  const Clock& clock_;
  Rng& rng_;
  int64_t max_members_;
};

}  // namespace messenger::messaging
