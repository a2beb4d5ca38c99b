#include "messaging-service/src/domain/matrix/pdu_builder.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::matrix {

absl::StatusOr<Event> BuildPdu(const PduFields& fields, absl::string_view server_name,
                               const Ed25519Key& key) {
  // New events use the current user id grammar even though old ones may not.
  if (!IsValidUserId(fields.sender)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid sender: ", fields.sender));
  }
  ASSIGN_OR_RETURN(const std::string sender_server, ServerNameOf(fields.sender));
  if (sender_server != server_name) {
    return absl::InvalidArgumentError(
        absl::StrCat("sender ", fields.sender, " does not belong to ", server_name));
  }
  if (fields.depth < 0 || fields.depth > kMaxSafeInteger) {
    return absl::InvalidArgumentError("depth out of range");
  }
  if (fields.origin_server_ts < 0 || fields.origin_server_ts > kMaxSafeInteger) {
    return absl::InvalidArgumentError("origin_server_ts out of range");
  }
  if (!fields.content.is_object()) return absl::InvalidArgumentError("content must be an object");

  nlohmann::json pdu = {
      {"room_id", fields.room_id},
      {"sender", fields.sender},
      {"type", fields.type},
      {"content", fields.content},
      {"prev_events", fields.prev_events},
      {"auth_events", fields.auth_events},
      {"depth", fields.depth},
      {"origin_server_ts", fields.origin_server_ts},
  };
  if (fields.state_key.has_value()) pdu["state_key"] = *fields.state_key;
  if (fields.redacts.has_value()) pdu["redacts"] = *fields.redacts;
  ASSIGN_OR_RETURN(std::string event_id, HashAndSignEvent(pdu, server_name, key));
  return Event::FromSigned(std::move(pdu), std::move(event_id));
}

}  // namespace messenger::matrix
