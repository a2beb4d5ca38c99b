// The remote events of the feddirect tests: alice of hs1.test writes into
// her direct room !dm:hs1.test (after events this server does not have).
#pragma once

#include <optional>
#include <string>

#include "messaging-service/src/domain/matrix/pdu_builder.h"

namespace messenger::federation::testing_direct {

inline constexpr char kAlice[] = "@alice:hs1.test";
inline constexpr char kRoom[] = "!dm:hs1.test";

inline absl::StatusOr<matrix::Event> AlicePdu(const matrix::Ed25519Key& hs1_key,
                                              const std::string& type,
                                              std::optional<std::string> state_key,
                                              nlohmann::json content, int64_t ts,
                                              const std::string& room_id = kRoom) {
  matrix::PduFields fields{.room_id = room_id,
                           .sender = kAlice,
                           .type = type,
                           .state_key = std::move(state_key),
                           .content = std::move(content),
                           .prev_events = {"$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                           .auth_events = {"$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
                           .depth = 3,
                           .origin_server_ts = ts};
  return matrix::BuildPdu(fields, "hs1.test", hs1_key);
}

}  // namespace messenger::federation::testing_direct
