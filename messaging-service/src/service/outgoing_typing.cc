#include "messaging-service/src/service/outgoing_typing.h"

#include <map>
#include <vector>

namespace messenger::messaging {

nlohmann::json TypingEdu(const std::string& room_id, const std::string& matrix_user_id,
                         bool typing) {
  return {{"edu_type", "m.typing"},
          {"content", {{"room_id", room_id}, {"user_id", matrix_user_id}, {"typing", typing}}}};
}

void OutgoingTyping::Changed(const std::string& user_id, const std::string& room_id, bool typing) {
  const std::vector<std::string> servers = writer_.LoadedServersOf(room_id);
  if (servers.empty()) return;
  absl::StatusOr<std::map<std::string, std::string>> names = store_.Usernames({user_id});
  if (!names.ok()) return;  // a hint lost
  auto it = names->find(user_id);
  // A remote user's username is its full Matrix id (federation/remote_users.h).
  if (it == names->end() || it->second.find(':') != std::string::npos) return;
  sender_.QueueEdu(servers, TypingEdu(room_id, "@" + it->second + ":" + server_name_, typing));
}

}  // namespace messenger::messaging
