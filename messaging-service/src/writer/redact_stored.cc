#include "messaging-service/src/writer/redact_stored.h"

#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/redaction.h"

namespace messenger::messaging {

absl::Status RedactStored(MessagingTx& tx, const std::string& event_id) {
  ASSIGN_OR_RETURN(auto pdus, tx.PdusToRedact(event_id));
  for (const auto& [id, pdu] : pdus) {
    nlohmann::json event = nlohmann::json::parse(pdu, nullptr, false);
    ASSIGN_OR_RETURN(nlohmann::json redacted, matrix::RedactEvent(event));
    ASSIGN_OR_RETURN(std::string text, matrix::CanonicalJson(redacted));
    RETURN_IF_ERROR(tx.ReplaceRedacted(id, text));
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
