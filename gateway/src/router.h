// Method + path-pattern routing ("/v1/sessions/{session_id}").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace messenger::gateway {

using PathParams = std::map<std::string, std::string>;

template <typename Handler>
class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), pattern, Split(pattern), std::move(handler)});
  }

  struct Match {
    const Handler* handler = nullptr;
    std::string pattern;   // for metrics and logs
    PathParams params;
    bool path_known = false;  // some method matches this path
    std::vector<std::string> allowed;
  };

  Match Find(std::string_view method, std::string_view path) const {
    Match match;
    const std::vector<std::string> parts = Split(path);
    for (const Route& route : routes_) {
      PathParams params;
      if (!Matches(route.parts, parts, params)) continue;
      match.path_known = true;
      match.allowed.push_back(route.method);
      if (route.method == method && match.handler == nullptr) {
        match.handler = &route.handler;
        match.pattern = route.pattern;
        match.params = std::move(params);
      }
    }
    return match;
  }

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> parts;
    Handler handler;
  };

  static std::vector<std::string> Split(std::string_view path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string_view::npos) slash = path.size();
      if (slash > start) parts.emplace_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    return parts;
  }

  static bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                      PathParams& params) {
    if (pattern.size() != path.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const std::string& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        params[p.substr(1, p.size() - 2)] = path[i];
      } else if (p != path[i]) {
        return false;
      }
    }
    return true;
  }

  std::vector<Route> routes_;
};

}  // namespace messenger::gateway
