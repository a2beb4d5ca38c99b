// Rules of the Matrix client room writes (issue 14), free of IO: the
// idempotency key of a transaction id, what a membership action writes, the
// contact policy of invites and what a state change means to /v1.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace messenger::messaging {

// The sent-messages key of a Matrix transaction id. /v1 client_msg_ids are
// printable ASCII without spaces, so the space keeps the two apart.
std::string MatrixTxnKey(const std::string& txn_id);
// The transaction id inside such a key; nullopt for a /v1 client_msg_id.
std::optional<std::string> TxnIdOfKey(const std::string& key);
// 1..255 bytes, no control characters.
absl::Status ValidateTxnId(const std::string& txn_id);
// What a retry must repeat: the room, the event type and the content.
std::string MatrixRequestHash(const std::string& room_id, const std::string& type,
                              const nlohmann::json& content);

enum class MemberAction { kInvite, kJoin, kLeave, kKick, kBan, kUnban, kForget };
absl::StatusOr<MemberAction> ParseMemberAction(const std::string& action);
// Actions on another user (a target) and the membership they write.
bool TakesTarget(MemberAction action);
std::string MembershipOf(MemberAction action);  // "" for forget

// An invite needs the inviter's friendship unless the room is public;
// a direct room takes no third member at all.
absl::Status CheckInvitePolicy(const std::string& room_kind, const std::string& join_rule,
                               bool friends, const std::string& invitee);

// The /v1 field a state event changes (conversation.updated), if any.
std::optional<std::string> UpdatedField(const std::string& event_type);

// Whether a member in `membership` (after their event at `membership_seq`)
// may read the event at `seq`: joined members all, former members up to
// their leave (or ban), nobody else.
bool MayRead(const std::string& membership, int64_t membership_seq, int64_t seq);

}  // namespace messenger::messaging
