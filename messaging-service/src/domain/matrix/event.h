// A validated persistent data unit (PDU) of room version 10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

inline constexpr char kRoomVersion[] = "10";

// Event format limits (client-server API "Size limits", PDU schema v6).
inline constexpr size_t kMaxEventBytes = 65536;
inline constexpr size_t kMaxTypeBytes = 255;
inline constexpr size_t kMaxStateKeyBytes = 255;
inline constexpr size_t kMaxPrevEvents = 20;
inline constexpr size_t kMaxAuthEvents = 10;

// Immutable; the event id is derived from the content (reference hash).
class Event {
 public:
  // Validates the v10 PDU format: required keys and their types, canonical
  // JSON numbers and the size limits. Signatures and hashes are NOT checked
  // here (see event_signing.h). Malformed input is InvalidArgument.
  static absl::StatusOr<Event> FromJson(nlohmann::json pdu);
  static absl::StatusOr<Event> Parse(absl::string_view text);
  // FromJson for an event this server just hashed and signed: `event_id` is
  // what HashAndSignEvent returned, so the reference hash is not recomputed.
  static absl::StatusOr<Event> FromSigned(nlohmann::json pdu, std::string event_id);

  const std::string& event_id() const { return event_id_; }
  const std::string& room_id() const { return room_id_; }
  const std::string& sender() const { return sender_; }
  const std::string& type() const { return type_; }
  const std::optional<std::string>& state_key() const { return state_key_; }
  bool is_state() const { return state_key_.has_value(); }
  const nlohmann::json& content() const { return json_["content"]; }
  const std::vector<std::string>& prev_events() const { return prev_events_; }
  const std::vector<std::string>& auth_events() const { return auth_events_; }
  int64_t depth() const { return depth_; }
  int64_t origin_server_ts() const { return origin_server_ts_; }

  // content.membership of m.room.member events, or "" when absent.
  std::string membership() const;

  // The full PDU as received or built (federation format, no event_id key).
  const nlohmann::json& json() const { return json_; }
  // json() in canonical JSON: what is stored and sent.
  const std::string& canonical_json() const { return canonical_; }

 private:
  Event() = default;
  static absl::StatusOr<Event> Validate(nlohmann::json pdu, std::optional<std::string> event_id);

  nlohmann::json json_;
  std::string canonical_;
  std::string event_id_;
  std::string room_id_;
  std::string sender_;
  std::string type_;
  std::optional<std::string> state_key_;
  std::vector<std::string> prev_events_;
  std::vector<std::string> auth_events_;
  int64_t depth_ = 0;
  int64_t origin_server_ts_ = 0;
};

}  // namespace messenger::matrix
