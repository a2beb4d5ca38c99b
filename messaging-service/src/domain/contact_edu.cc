#include "messaging-service/src/domain/contact_edu.h"

#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::messaging {
namespace {

const std::string* StringAt(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

std::optional<ContactForward> ForwardOf(const FriendshipChange& change,
                                        const std::string& remote_uuid) {
  if (change.remote_matrix_id.empty() || change.actor.empty()) return std::nullopt;
  if (change.actor == remote_uuid) return std::nullopt;  // their server told us
  if (change.actor != change.user_a && change.actor != change.user_b) return std::nullopt;
  absl::StatusOr<std::string> server = matrix::ServerNameOf(change.remote_matrix_id);
  if (!server.ok() || server->empty()) return std::nullopt;
  std::string action;
  if (change.type == "friendship.created") {
    action = "request";
  } else if (change.type == "friendship.accepted") {
    action = "accept";
  } else if (change.type == "friendship.removed") {
    action = "remove";
  } else {
    return std::nullopt;
  }
  return ContactForward{change.actor, change.remote_matrix_id, *server, action};
}

nlohmann::json ContactEdu(const ContactForward& forward, const std::string& sender_matrix_id) {
  return {{"edu_type", kContactEduType},
          {"content",
           {{"action", forward.action},
            {"sender", sender_matrix_id},
            {"target", forward.remote_matrix_id}}}};
}

absl::StatusOr<ContactClaim> ParseContactEdu(const std::string& origin,
                                             const std::string& server_name,
                                             const nlohmann::json& content) {
  if (!content.is_object()) return absl::InvalidArgumentError("the content must be an object");
  const std::string* action = StringAt(content, "action");
  const std::string* sender = StringAt(content, "sender");
  const std::string* target = StringAt(content, "target");
  if (action == nullptr || sender == nullptr || target == nullptr) {
    return absl::InvalidArgumentError("action, sender and target are required strings");
  }
  if (*action != "request" && *action != "accept" && *action != "remove") {
    return absl::InvalidArgumentError("unknown contact action");
  }
  if (!matrix::IsValidUserId(*sender) || !matrix::IsValidUserId(*target)) {
    return absl::InvalidArgumentError("sender and target must be Matrix user ids");
  }
  ASSIGN_OR_RETURN(std::string sender_server, matrix::ServerNameOf(*sender));
  ASSIGN_OR_RETURN(std::string target_server, matrix::ServerNameOf(*target));
  if (sender_server != origin)
    return absl::PermissionDeniedError("a server speaks for its own users");
  if (target_server != server_name) return absl::PermissionDeniedError("the target is not ours");
  return ContactClaim{*target, *sender, *action};
}

}  // namespace messenger::messaging
