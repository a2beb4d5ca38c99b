#include "messaging-service/src/domain/matrix/federation_txn.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

absl::StatusOr<std::vector<Json>> ObjectList(const Json& body, const char* key, size_t max) {
  const auto it = body.find(key);
  if (it == body.end()) return std::vector<Json>();
  if (!it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("transaction `", key, "` must be an array"));
  }
  if (it->size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("a transaction carries at most ", max, " ", key));
  }
  std::vector<Json> items;
  for (const Json& item : *it) {
    if (!item.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("transaction `", key, "` entries are objects"));
    }
    items.push_back(item);
  }
  return items;
}

}  // namespace

absl::StatusOr<Transaction> ParseTransaction(absl::string_view body,
                                             absl::string_view authenticated_origin) {
  absl::StatusOr<Json> parsed = ParseJson(body);
  if (!parsed.ok()) return absl::InvalidArgumentError("the transaction is not valid JSON");
  if (!parsed->is_object()) return absl::InvalidArgumentError("the transaction is not an object");
  Transaction txn;
  const auto origin = parsed->find("origin");
  if (origin == parsed->end() || !origin->is_string()) {
    return absl::InvalidArgumentError("transaction `origin` must be a string");
  }
  txn.origin = origin->get<std::string>();
  if (txn.origin != authenticated_origin) {
    return absl::InvalidArgumentError("transaction `origin` is not the server that signed it");
  }
  const auto ts = parsed->find("origin_server_ts");
  if (ts == parsed->end() || !ts->is_number_integer()) {
    return absl::InvalidArgumentError("transaction `origin_server_ts` must be an integer");
  }
  txn.origin_server_ts = ts->get<int64_t>();
  if (!parsed->contains("pdus")) return absl::InvalidArgumentError("transaction lacks `pdus`");
  ASSIGN_OR_RETURN(txn.pdus, ObjectList(*parsed, "pdus", kMaxTransactionPdus));
  ASSIGN_OR_RETURN(txn.edus, ObjectList(*parsed, "edus", kMaxTransactionEdus));
  return txn;
}

std::string AnswerIdOf(const nlohmann::json& pdu) {
  absl::StatusOr<std::string> id = ComputeEventId(pdu);
  return id.ok() ? *id : std::string();
}

nlohmann::json TransactionAnswer(const std::map<std::string, absl::Status>& results) {
  Json pdus = Json::object();
  for (const auto& [event_id, status] : results) {
    pdus[event_id] = status.ok() ? Json::object() : Json{{"error", std::string(status.message())}};
  }
  return {{"pdus", std::move(pdus)}};
}

bool ServerMayReadRoom(const StateMap& state, absl::string_view server_name) {
  if (const Event* visibility = state.Get(kHistoryVisibilityType, "")) {
    const auto it = visibility->content().find("history_visibility");
    if (it != visibility->content().end() && *it == "world_readable") return true;
  }
  for (const auto& [key, event] : state) {
    if (key.type != kMemberType || event.membership() != "join") continue;
    const absl::StatusOr<std::string> server = ServerNameOf(key.state_key);
    if (server.ok() && *server == server_name) return true;
  }
  return false;
}

}  // namespace messenger::matrix
