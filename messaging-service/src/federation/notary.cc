#include "messaging-service/src/federation/notary.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::federation {

absl::StatusOr<nlohmann::json> Notary::Query(const nlohmann::json& query) {
  if (!query.is_object() || !query.contains("server_keys") || !query["server_keys"].is_object()) {
    return absl::InvalidArgumentError("`server_keys` must be an object");
  }
  const nlohmann::json& servers = query["server_keys"];
  if (servers.size() > kMaxNotaryServers) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxNotaryServers, " servers per query"));
  }
  const absl::Time now = clock_.Now();
  std::vector<std::pair<std::string, absl::Time>> wanted;
  for (const auto& [server_name, criteria] : servers.items()) {
    if (!matrix::IsValidServerName(server_name)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid server name: ", server_name));
    }
    if (!criteria.is_object()) {
      return absl::InvalidArgumentError("query criteria must be objects");
    }
    absl::Time minimum = now;
    for (const auto& [key_id, criterion] : criteria.items()) {
      if (!criterion.is_object())
        return absl::InvalidArgumentError("query criteria must be objects");
      const auto ts = criterion.find("minimum_valid_until_ts");
      if (ts == criterion.end()) continue;
      if (!ts->is_number_integer()) {
        return absl::InvalidArgumentError("`minimum_valid_until_ts` must be an integer");
      }
      minimum = std::max(minimum, absl::FromUnixMillis(ts->get<int64_t>()));
    }
    wanted.emplace_back(server_name, minimum);
  }
  nlohmann::json answer = {{"server_keys", nlohmann::json::array()}};
  for (const auto& [server_name, minimum] : wanted) {
    absl::StatusOr<matrix::ServerKeys> keys = remote_.Get(server_name, minimum);
    if (!keys.ok()) continue;
    nlohmann::json document = keys->document;
    RETURN_IF_ERROR(matrix::SignJson(document, local_.server_name(), local_.signing_key()));
    answer["server_keys"].push_back(std::move(document));
  }
  return answer;
}

}  // namespace messenger::federation
