#include "messaging-service/src/domain/matrix_write_rules.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace messenger::messaging {

std::string MatrixTxnKey(const std::string& txn_id) { return absl::StrCat("matrix ", txn_id); }

std::optional<std::string> TxnIdOfKey(const std::string& key) {
  constexpr std::string_view kPrefix = "matrix ";
  if (key.size() <= kPrefix.size() || key.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  return key.substr(kPrefix.size());
}

absl::Status ValidateTxnId(const std::string& txn_id) {
  if (txn_id.empty() || txn_id.size() > 255) {
    return absl::InvalidArgumentError("txnId must be 1 to 255 bytes");
  }
  for (unsigned char c : txn_id) {
    if (c < 0x20 || c == 0x7f) return absl::InvalidArgumentError("txnId has control characters");
  }
  return absl::OkStatus();
}

std::string MatrixRequestHash(const std::string& room_id, const std::string& type,
                              const nlohmann::json& content) {
  const std::string body = content.dump();
  // Length-prefixed, so that no two requests share an input.
  return HexEncode(Sha256(absl::StrCat(room_id.size(), ":", room_id, type.size(), ":", type,
                                       body.size(), ":", body)));
}

absl::StatusOr<MemberAction> ParseMemberAction(const std::string& action) {
  if (action == "invite") return MemberAction::kInvite;
  if (action == "join") return MemberAction::kJoin;
  if (action == "leave") return MemberAction::kLeave;
  if (action == "kick") return MemberAction::kKick;
  if (action == "ban") return MemberAction::kBan;
  if (action == "unban") return MemberAction::kUnban;
  if (action == "forget") return MemberAction::kForget;
  return absl::InvalidArgumentError("unknown membership action");
}

bool TakesTarget(MemberAction action) {
  return action == MemberAction::kInvite || action == MemberAction::kKick ||
         action == MemberAction::kBan || action == MemberAction::kUnban;
}

std::string MembershipOf(MemberAction action) {
  switch (action) {
    case MemberAction::kInvite: return "invite";
    case MemberAction::kJoin: return "join";
    case MemberAction::kBan: return "ban";
    case MemberAction::kLeave:
    case MemberAction::kKick:
    case MemberAction::kUnban: return "leave";
    case MemberAction::kForget: return "";
  }
  return "";
}

absl::Status CheckInvitePolicy(const std::string& room_kind, const std::string& join_rule,
                               bool friends, const std::string& invitee) {
  if (room_kind == "direct") {
    return absl::PermissionDeniedError("a direct room has exactly two members");
  }
  if (join_rule == "public" || friends) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(invitee,
                   " is not your contact: a private room invites contacts only (public rooms do "
                   "not)"));
}

std::optional<std::string> UpdatedField(const std::string& event_type) {
  if (event_type == "m.room.name") return "name";
  if (event_type == "m.room.topic") return "topic";
  if (event_type == "m.room.avatar") return "avatar_url";
  if (event_type == "m.room.power_levels") return "roles";
  return std::nullopt;
}

bool MayRead(const std::string& membership, int64_t membership_seq, int64_t seq) {
  if (membership == "join") return true;
  if (membership == "leave" || membership == "ban") return seq <= membership_seq;
  return false;
}

}  // namespace messenger::messaging
