// Matrix membership endpoints (issue 14): invite, join, leave, kick, ban,
// unban and forget, written through the RoomWriter where the Matrix auth
// rules decide. Plain Matrix semantics (an invite is only an invite), with
// /v1 kept in step: a group's join, leave, kick or ban publishes
// conversation.member_added / member_removed and the sync notices of the
// same /v1 change, in the write's transaction; the member cap holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix_write_rules.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/matrix_write_store.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

struct MembershipChange {
  std::string user_id;  // the caller (UUID)
  std::string room_id;
  MemberAction action = MemberAction::kJoin;
  std::string target_id;  // invite, kick, ban, unban (UUID)
  std::optional<std::string> reason;
};

class MatrixMembership {
 public:
  MatrixMembership(MessagingManager& messaging, MessagingStore& store, MatrixWriteStore& mx_store,
                   FriendChecker& friends, const Clock& clock, Rng& rng, int64_t max_members)
      : messaging_(messaging),
        store_(store),
        mx_store_(mx_store),
        friends_(friends),
        clock_(clock),
        rng_(rng),
        max_members_(max_members) {}

  absl::Status Change(const MembershipChange& change);
  // The leave of a deactivated account (matrix_membership_deactivated.cc):
  // from any room it joined or was invited to, direct rooms included. OK
  // when there is nothing to leave.
  absl::Status LeaveDeactivated(const std::string& user_id, const std::string& room_id);

 private:
  absl::Status Invite(const MembershipChange& c, const RoomRow& room, const std::string& target);
  absl::Status Join(const MembershipChange& c, const RoomRow& room);
  absl::Status Forget(const MembershipChange& c);
  // Leave, kick, ban or unban of `target` (membership `theirs`) once allowed;
  // a group member who goes is recorded for /v1 as well.
  absl::Status WriteDeparture(const MembershipChange& c, const RoomRow& room,
                              const std::string& target, const std::string& theirs);
  // Writes the m.room.member event of `target` (sender: the caller) and the
  // /v1 rows of a group member who came or went.
  absl::Status WriteMember(const MembershipChange& c, const RoomRow& room,
                           const std::string& target, const std::string& membership,
                           const RoomWriter::Extra& extra);
  // The room's current state events of `type`.
  absl::StatusOr<std::vector<matrix::Event>> StateOfType(const std::string& room_id,
                                                         const std::string& type);
  absl::StatusOr<std::string> JoinRule(const std::string& room_id);
  // Who adds `user` joining with membership `mine`: the inviter of an
  // accepted invite (UUID), else the joiner.
  absl::StatusOr<std::string> AddedBy(const std::string& room_id, const std::string& user,
                                      const std::string& mine);

  MessagingManager& messaging_;
  MessagingStore& store_;
  MatrixWriteStore& mx_store_;
  FriendChecker& friends_;
  const Clock& clock_;
  Rng& rng_;
  int64_t max_members_;
};

}  // namespace messenger::messaging
