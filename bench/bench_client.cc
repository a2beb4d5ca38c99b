#include "bench/bench_client.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace messenger::bench {

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) continue;
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      values_[arg.substr(2)] = "true";
    } else {
      values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    }
  }
}

std::string Flags::Get(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

int Flags::GetInt(const std::string& key, int fallback) const {
  int v = fallback;
  auto it = values_.find(key);
  if (it != values_.end()) (void)absl::SimpleAtoi(it->second, &v);
  return v;
}

std::vector<int> Flags::GetInts(const std::string& key, const std::vector<int>& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(part, &v)) out.push_back(v);
  }
  return out;
}

Api::Api(const std::string& http_address)
    : client_("127.0.0.1", std::stoi(http_address.substr(http_address.rfind(':') + 1))) {
  client_.set_tcp_nodelay(true);
  client_.set_keep_alive(true);
  client_.set_read_timeout(60, 0);
}

std::pair<int, nlohmann::json> Api::Call(const std::string& method, const std::string& path,
                                         const std::optional<nlohmann::json>& body,
                                         const std::string& token) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  const std::string text = body ? body->dump() : "";
  httplib::Result res = method == "GET" ? client_.Get(path, headers)
                        : method == "POST" ? client_.Post(path, headers, text, "application/json")
                        : method == "PUT"  ? client_.Put(path, headers, text, "application/json")
                                           : client_.Delete(path, headers, text, "application/json");
  if (!res) return {0, nullptr};
  return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
}

std::vector<BenchUser> Api::CreateUsers(const std::string& prefix, int count) {
  std::vector<BenchUser> users;
  for (int i = 0; i < count; ++i) {
    const std::string name = prefix + std::to_string(i);
    const std::string password = "bench-password-" + name;
    auto [status, body] =
        Call("POST", "/v1/auth/register",
             nlohmann::json{
                 {"username", name}, {"email", name + "@bench.example"}, {"password", password}});
    if (status != 201) continue;
    auto [login_status, login] =
        Call("POST", "/v1/auth/login", nlohmann::json{{"login", name}, {"password", password}});
    if (login_status != 200) continue;
    users.push_back({body["user_id"], name, login["access_token"]});
  }
  return users;
}

bool Api::Befriend(const BenchUser& a, const BenchUser& b) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    auto [status, body] = Call("POST", "/v1/contacts/requests",
                               nlohmann::json{{"user_id", b.user_id}}, a.access_token);
    if (status == 201 || status == 200 || status == 409) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // user.created not applied yet
  }
  auto [status, body] =
      Call("POST", "/v1/contacts/requests/" + a.user_id + "/accept", std::nullopt, b.access_token);
  return status == 200 || status == 404;  // 404: already friends (crossing)
}

}  // namespace messenger::bench
