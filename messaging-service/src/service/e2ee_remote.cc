// Keys of users of other servers (fede2ee): a local client's keys/query and
// keys/claim ask each server named once, several at a time, each bounded by
// the federation request timeout. Nothing is cached: every query asks again.
#include <future>

#include "absl/strings/str_cat.h"

#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/service/e2ee_manager.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

using nlohmann::json;

constexpr size_t kServersAtOnce = 8;
// Servers one request may ask (4 rounds of kServersAtOnce, each bounded by
// the federation timeout); the rest are answered as failures at once.
constexpr size_t kMaxServersPerRequest = 32;
// Of a query answer, besides device_keys: cross-signing keys per user.
constexpr const char* kUserKeyFields[] = {"master_keys", "self_signing_keys"};

// Device keys another server answers for `user`: only objects naming that
// user and device (a server answers for its own users only).
json CheckedDevices(const json& devices, const std::string& user) {
  json out = json::object();
  if (!devices.is_object()) return out;
  for (const auto& [device_id, keys] : devices.items()) {
    if (keys.is_object() && keys.value("user_id", json()) == user &&
        keys.value("device_id", json()) == device_id) {
      out[device_id] = keys;
    }
  }
  return out;
}

}  // namespace

std::string E2eeManager::WithRemote(std::string_view route, const char* field,
                                    std::string_view body, std::string answer) {
  if (!remote_) return answer;
  const json asked = json::parse(body, nullptr, false);  // checked already
  std::map<std::string, json> by_server;
  for (const auto& [user, what] : asked[field].items()) {
    absl::StatusOr<std::string> server = matrix::ServerNameOf(user);
    if (!server.ok() || server->empty() || *server == server_name_) continue;
    by_server[*server][field][user] = what;
  }
  if (by_server.empty()) return answer;
  json out = json::parse(answer);
  std::vector<std::pair<std::string, std::future<absl::StatusOr<std::string>>>> waiting;
  auto collect = [&] {
    for (auto& [server, future] : waiting) {
      absl::StatusOr<std::string> got = future.get();
      json reply = got.ok() ? json::parse(*got, nullptr, false) : json();
      if (!got.ok() || !reply.is_object()) {
        out["failures"][server] = {
            {"status", got.ok() ? 502 : 503},
            {"message", got.ok() ? "not a JSON object" : std::string(got.status().message())}};
        continue;
      }
      for (const auto& [user, unused] : by_server[server][field].items()) {
        const json& part = reply.value(field, json::object());
        auto it = part.is_object() ? part.find(user) : part.end();
        if (it == part.end()) continue;
        if (route == "query") {
          out[field][user] = CheckedDevices(*it, user);
          for (const char* keys : kUserKeyFields) {
            const json& by_user = reply.value(keys, json::object());
            if (by_user.is_object() && by_user.contains(user) && by_user[user].is_object()) {
              out[keys][user] = by_user[user];
            }
          }
        } else if (it->is_object()) {
          out[field][user] = *it;
        }
      }
    }
    waiting.clear();
  };
  size_t asked_servers = 0;
  for (const auto& [server, request] : by_server) {
    if (++asked_servers > kMaxServersPerRequest) {
      out["failures"][server] = {
          {"status", 429},
          {"message", absl::StrCat("one request asks at most ", kMaxServersPerRequest,
                                   " other servers")}};
      continue;
    }
    waiting.emplace_back(server, std::async(std::launch::async,
                                            [this, server, text = request.dump(), route] {
                                              return remote_(server, route, text);
                                            }));
    if (waiting.size() == kServersAtOnce) collect();
  }
  collect();
  return out.dump();
}

}  // namespace messenger::messaging
