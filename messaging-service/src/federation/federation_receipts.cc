// Incoming m.receipt EDUs (server-server API, "Receipts"): a remote user's
// m.read moves its read marker through RoomWriter::WriteReceipt, the same
// path as a local receipt, so local /sync shows it in the room's ephemeral
// events. Hints like typing: what does not fit (a user of another server, a
// room or event we lack, a user not joined) is dropped, never an error of
// the whole transaction.
#include "messaging-service/src/federation/federation_rooms.h"

#include <algorithm>

#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {

using Json = nlohmann::json;

absl::Status FederationRooms::Receipt(const std::string& origin, const std::string& room_id,
                                      const std::string& user_id, const Json& receipt) {
  absl::StatusOr<std::string> server = matrix::ServerNameOf(user_id);
  if (!server.ok() || *server != origin) {
    return absl::PermissionDeniedError("a server speaks for its own users");
  }
  const auto ids = receipt.find("event_ids");
  if (!receipt.is_object() || ids == receipt.end() || !ids->is_array()) {
    return absl::InvalidArgumentError("event_ids is required");
  }
  // The furthest of the events named (usually one) in this room.
  int64_t seq = 0;
  for (const Json& id : *ids) {
    if (!id.is_string()) continue;
    ASSIGN_OR_RETURN(std::optional<messaging::TargetFacts> target,
                     messaging_.FindTarget(id.get<std::string>()));
    if (target && target->room_id == room_id) seq = std::max(seq, target->seq);
  }
  if (seq == 0) return absl::NotFoundError("no such event in this room");
  const std::string uuid = RemoteUserUuid(user_id);
  ASSIGN_OR_RETURN(std::optional<std::string> membership, messaging_.Membership(room_id, uuid));
  if (membership != "join") return absl::PermissionDeniedError("not a member of the room");
  return writer_.WriteReceipt(room_id, uuid, seq).status();
}

void FederationRooms::Receipts(const std::string& origin, const Json& content,
                               std::map<std::string, bool>& acl_memo) {
  if (!content.is_object()) return;
  int left = kMaxReceiptsPerEdu;
  for (const auto& [room_id, types] : content.items()) {
    if (!types.is_object() || !EduAllowed(origin, room_id, acl_memo)) continue;
    // Private receipts never leave their server; other types are unknown.
    const auto read = types.find("m.read");
    if (read == types.end() || !read->is_object()) continue;
    for (const auto& [user_id, receipt] : read->items()) {
      if (left-- <= 0) return;
      (void)Receipt(origin, room_id, user_id, receipt);  // a hint: refused ones are dropped
    }
  }
}

}  // namespace messenger::federation
