#include "messaging-service/src/domain/matrix/event.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

absl::StatusOr<std::string> RequiredString(const Json& pdu, const char* key) {
  const auto it = pdu.find(key);
  if (it == pdu.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("event `", key, "` must be a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> RequiredInteger(const Json& pdu, const char* key) {
  const auto it = pdu.find(key);
  if (it == pdu.end() || !it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("event `", key, "` must be an integer"));
  }
  return it->get<int64_t>();
}

absl::StatusOr<std::vector<std::string>> EventIdList(const Json& pdu, const char* key, size_t max) {
  const auto it = pdu.find(key);
  if (it == pdu.end() || !it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("event `", key, "` must be an array"));
  }
  if (it->size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("event `", key, "` has more than ", max, " entries"));
  }
  std::vector<std::string> ids;
  for (const Json& id : *it) {
    if (!id.is_string() || !IsValidEventId(id.get_ref<const std::string&>())) {
      return absl::InvalidArgumentError(absl::StrCat("event `", key, "` has an invalid event id"));
    }
    ids.push_back(id.get<std::string>());
  }
  return ids;
}

absl::Status CheckSignaturesShape(const Json& pdu) {
  const auto signatures = pdu.find("signatures");
  if (signatures == pdu.end() || !signatures->is_object()) {
    return absl::InvalidArgumentError("event `signatures` must be an object");
  }
  for (const auto& [server, by_key] : signatures->items()) {
    if (!by_key.is_object()) return absl::InvalidArgumentError("malformed event `signatures`");
    for (const auto& [key_id, signature] : by_key.items()) {
      if (!signature.is_string()) return absl::InvalidArgumentError("malformed event `signatures`");
    }
  }
  const auto hashes = pdu.find("hashes");
  if (hashes == pdu.end() || !hashes->is_object() || !hashes->contains("sha256") ||
      !(*hashes)["sha256"].is_string()) {
    return absl::InvalidArgumentError("event `hashes.sha256` must be a string");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Event> Event::FromJson(nlohmann::json pdu) {
  return Validate(std::move(pdu), std::nullopt);
}

absl::StatusOr<Event> Event::FromSigned(nlohmann::json pdu, std::string event_id) {
  return Validate(std::move(pdu), std::move(event_id));
}

absl::StatusOr<Event> Event::Validate(nlohmann::json pdu, std::optional<std::string> event_id) {
  if (!pdu.is_object()) return absl::InvalidArgumentError("event must be a JSON object");
  Event event;
  // Canonical JSON is enforced for the whole event (v6+), and bounds its size.
  ASSIGN_OR_RETURN(event.canonical_, CanonicalJson(pdu));
  if (event.canonical_.size() > kMaxEventBytes) {
    return absl::InvalidArgumentError("event is larger than 65536 bytes");
  }

  ASSIGN_OR_RETURN(event.room_id_, RequiredString(pdu, "room_id"));
  ASSIGN_OR_RETURN(event.sender_, RequiredString(pdu, "sender"));
  ASSIGN_OR_RETURN(event.type_, RequiredString(pdu, "type"));
  ASSIGN_OR_RETURN(event.depth_, RequiredInteger(pdu, "depth"));
  ASSIGN_OR_RETURN(event.origin_server_ts_, RequiredInteger(pdu, "origin_server_ts"));
  ASSIGN_OR_RETURN(event.prev_events_, EventIdList(pdu, "prev_events", kMaxPrevEvents));
  ASSIGN_OR_RETURN(event.auth_events_, EventIdList(pdu, "auth_events", kMaxAuthEvents));
  RETURN_IF_ERROR(CheckSignaturesShape(pdu));

  if (!IsValidRoomId(event.room_id_)) return absl::InvalidArgumentError("invalid event `room_id`");
  if (!IsHistoricalUserId(event.sender_)) {
    return absl::InvalidArgumentError("invalid event `sender`");
  }
  if (event.type_.empty() || event.type_.size() > kMaxTypeBytes) {
    return absl::InvalidArgumentError("event `type` must be 1 to 255 bytes");
  }
  if (event.depth_ < 0) return absl::InvalidArgumentError("event `depth` must not be negative");
  const auto content = pdu.find("content");
  if (content == pdu.end() || !content->is_object()) {
    return absl::InvalidArgumentError("event `content` must be an object");
  }
  if (const auto state_key = pdu.find("state_key"); state_key != pdu.end()) {
    if (!state_key->is_string())
      return absl::InvalidArgumentError("event `state_key` must be a string");
    if (state_key->get_ref<const std::string&>().size() > kMaxStateKeyBytes) {
      return absl::InvalidArgumentError("event `state_key` is longer than 255 bytes");
    }
    event.state_key_ = state_key->get<std::string>();
  }
  if (const auto redacts = pdu.find("redacts"); redacts != pdu.end() && !redacts->is_string()) {
    return absl::InvalidArgumentError("event `redacts` must be a string");
  }
  if (const auto unsigned_data = pdu.find("unsigned");
      unsigned_data != pdu.end() && !unsigned_data->is_object()) {
    return absl::InvalidArgumentError("event `unsigned` must be an object");
  }

  if (event_id.has_value()) {
    event.event_id_ = std::move(*event_id);
  } else {
    ASSIGN_OR_RETURN(event.event_id_, ComputeEventId(pdu));
  }
  event.json_ = std::move(pdu);
  return event;
}

absl::StatusOr<Event> Event::Parse(absl::string_view text) {
  ASSIGN_OR_RETURN(nlohmann::json pdu, ParseJson(text));
  return FromJson(std::move(pdu));
}

std::string Event::membership() const {
  const Json& c = content();
  const auto it = c.find("membership");
  if (type_ != "m.room.member" || it == c.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace messenger::matrix
