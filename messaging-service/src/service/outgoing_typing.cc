#include "messaging-service/src/service/outgoing_typing.h"

#include <map>
#include <vector>

namespace messenger::messaging {

nlohmann::json TypingEdu(const std::string& room_id, const std::string& matrix_user_id,
                         bool typing) {
  return {{"edu_type", "m.typing"},
          {"content", {{"room_id", room_id}, {"user_id", matrix_user_id}, {"typing", typing}}}};
}

nlohmann::json ReceiptEdu(const std::string& room_id, const std::string& matrix_user_id,
                          const std::string& event_id, int64_t ts_ms) {
  nlohmann::json receipt = {{"data", {{"ts", ts_ms}}},
                            {"event_ids", nlohmann::json::array({event_id})}};
  return {{"edu_type", "m.receipt"},
          {"content", {{room_id, {{"m.read", {{matrix_user_id, std::move(receipt)}}}}}}}};
}

std::optional<std::string> LocalMatrixId(MessagingStore& store, const std::string& user_id,
                                         const std::string& server_name) {
  absl::StatusOr<std::map<std::string, std::string>> names = store.Usernames({user_id});
  if (!names.ok()) return std::nullopt;
  auto it = names->find(user_id);
  // A remote user's username is its full Matrix id (federation/remote_users.h).
  if (it == names->end() || it->second.find(':') != std::string::npos) return std::nullopt;
  return "@" + it->second + ":" + server_name;
}

void OutgoingTyping::Changed(const std::string& user_id, const std::string& room_id, bool typing) {
  const std::vector<std::string> servers = writer_.LoadedServersOf(room_id);
  if (servers.empty()) return;
  std::optional<std::string> mxid = LocalMatrixId(store_, user_id, server_name_);
  if (!mxid) return;  // a hint lost, or not ours to send
  sender_.QueueEdu(servers, TypingEdu(room_id, *mxid, typing));
}

void OutgoingReceipts::Advanced(const std::string& user_id, const std::string& room_id,
                                int64_t seq, absl::Time at) {
  absl::StatusOr<std::vector<std::string>> servers = writer_.ServersOf(room_id);
  if (!servers.ok() || servers->empty()) return;
  std::optional<std::string> mxid = LocalMatrixId(store_, user_id, server_name_);
  if (!mxid) return;
  absl::StatusOr<std::optional<std::string>> event_id = store_.EventIdAt(room_id, seq);
  if (!event_id.ok() || !*event_id) return;
  sender_.QueueEdu(*servers, ReceiptEdu(room_id, *mxid, **event_id, absl::ToUnixMillis(at)));
}

}  // namespace messenger::messaging
