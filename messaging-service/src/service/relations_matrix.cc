// RelationsManager's edits and reactions sent through the Matrix API.
#include "common/status.h"
#include "messaging-service/src/service/relations_manager.h"

namespace messenger::messaging {

absl::Status RelationsManager::CheckNotDeleted(const std::string& message_id) {
  ASSIGN_OR_RETURN(std::optional<TargetFacts> target, store_.FindTarget(message_id));
  if (target && target->deleted) return absl::FailedPreconditionError("the message was deleted");
  return absl::OkStatus();
}

absl::StatusOr<std::string> RelationsManager::EditAs(const std::string& user_id,
                                                     const std::string& message_id,
                                                     const std::string& text,
                                                     nlohmann::json content, const Record& record) {
  RETURN_IF_ERROR(CheckNotDeleted(message_id));
  ASSIGN_OR_RETURN(StoredEvent written,
                   WriteEdit(user_id, message_id, text, std::move(content), record));
  return written.event_id;
}

absl::StatusOr<std::string> RelationsManager::ReactAs(const std::string& user_id,
                                                      const std::string& message_id,
                                                      const std::string& key,
                                                      nlohmann::json content,
                                                      const Record& record) {
  RETURN_IF_ERROR(CheckNotDeleted(message_id));
  ASSIGN_OR_RETURN(StoredEvent written,
                   WriteReaction(user_id, message_id, key, std::move(content), record));
  return written.event_id;
}

}  // namespace messenger::messaging
