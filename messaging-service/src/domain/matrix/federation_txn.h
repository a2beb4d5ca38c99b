// A federation transaction (PUT /_matrix/federation/v1/send/{txnId}) as
// received, the per-PDU answer, and which servers may read a room's events.
// Pure: the caller authenticates the request and checks each PDU.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// The spec's limits on one transaction.
inline constexpr size_t kMaxTransactionPdus = 50;
inline constexpr size_t kMaxTransactionEdus = 100;

struct Transaction {
  std::string origin;
  int64_t origin_server_ts = 0;
  std::vector<nlohmann::json> pdus;
  std::vector<nlohmann::json> edus;
};

// Parses a /send body sent by `authenticated_origin` (from X-Matrix).
// InvalidArgument for a body that is not a transaction, names another
// origin, or carries more than 50 PDUs or 100 EDUs.
absl::StatusOr<Transaction> ParseTransaction(absl::string_view body,
                                             absl::string_view authenticated_origin);

// The event id a PDU is answered under: its reference hash, or "" when it
// is too malformed to have one (such a PDU cannot be answered by id).
std::string AnswerIdOf(const nlohmann::json& pdu);

// The /send answer: {"pdus": {event id: {} or {"error": reason}}}.
nlohmann::json TransactionAnswer(const std::map<std::string, absl::Status>& results);

// Whether `server_name` may read the room's events and state: when one of
// its users is joined, or when the room's history is world_readable.
bool ServerMayReadRoom(const StateMap& state, absl::string_view server_name);

}  // namespace messenger::matrix
