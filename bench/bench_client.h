// Helpers shared by the benchmark programs: flags, an HTTP client for setup
// through the public API, and registration of users that are friends.
#pragma once

#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace messenger::bench {

// --key=value arguments.
class Flags {
 public:
  Flags(int argc, char** argv);
  std::string Get(const std::string& key, const std::string& fallback) const;
  int GetInt(const std::string& key, int fallback) const;
  std::vector<int> GetInts(const std::string& key, const std::vector<int>& fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

struct BenchUser {
  std::string user_id;
  std::string username;
  std::string access_token;
};

class Api {
 public:
  explicit Api(const std::string& http_address);
  // Status and parsed body (null when not JSON).
  std::pair<int, nlohmann::json> Call(const std::string& method, const std::string& path,
                                      const std::optional<nlohmann::json>& body,
                                      const std::string& token = "");
  // Registers and logs in `count` users named <prefix><i>.
  std::vector<BenchUser> CreateUsers(const std::string& prefix, int count);
  // Makes a and b friends (retrying while the contact service has not yet
  // seen them). False on failure.
  bool Befriend(const BenchUser& a, const BenchUser& b);

 private:
  httplib::Client client_;
};

}  // namespace messenger::bench
