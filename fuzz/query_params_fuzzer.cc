// Path and query parameter decoding: the input is a request target
// ("/v1/users/%41/profile?q=a+b"); the first byte picks the method. It goes
// through the Router with the gateway's route table, the path parameters
// through PercentDecodePath (as Gateway::Serve does) and the query through
// Request::QueryParam with the names the routes read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/http/http_server.h"
#include "gateway/src/router.h"

namespace {

using messenger::gateway::Router;

// The gateway's routes (gateway.cc and gateway/src/routes/*.cc).
const Router<int>& GatewayRouter() {
  static const Router<int>* router = [] {
    auto* r = new Router<int>();
    const char* routes[][2] = {
        {"GET", "/healthz"},
        {"GET", "/readyz"},
        {"GET", "/metrics"},
        {"POST", "/v1/auth/register"},
        {"POST", "/v1/auth/verify-email"},
        {"POST", "/v1/auth/resend-verification"},
        {"POST", "/v1/auth/login"},
        {"POST", "/v1/auth/refresh"},
        {"POST", "/v1/auth/logout"},
        {"POST", "/v1/contacts/requests"},
        {"GET", "/v1/contacts/requests"},
        {"POST", "/v1/contacts/requests/{user_id}/accept"},
        {"POST", "/v1/contacts/requests/{user_id}/decline"},
        {"DELETE", "/v1/contacts/{user_id}"},
        {"POST", "/v1/contacts/{user_id}/block"},
        {"DELETE", "/v1/contacts/{user_id}/block"},
        {"GET", "/v1/contacts"},
        {"GET", "/v1/me"},
        {"POST", "/v1/messages"},
        {"GET", "/v1/conversations"},
        {"POST", "/v1/conversations"},
        {"GET", "/v1/conversations/{id}/messages"},
        {"POST", "/v1/conversations/{id}/seen"},
        {"GET", "/v1/sync"},
        {"GET", "/v1/users/{user_id}/profile"},
        {"PATCH", "/v1/me/profile"},
        {"GET", "/v1/users/search"},
        {"GET", "/v1/sessions"},
        {"DELETE", "/v1/sessions/{session_id}"},
    };
    int id = 0;
    for (const auto& [method, pattern] : routes) r->Add(method, pattern, id++);
    return r;
  }();
  return *router;
}

const char* const kMethods[] = {"GET", "POST", "PATCH", "DELETE", "PUT", "FOO1"};
const char* const kQueryNames[] = {"since", "timeout_ms", "before_seq", "limit", "q"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view method = kMethods[data[0] % std::size(kMethods)];
  const std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);

  // Decoding never grows the text.
  if (messenger::http::PercentDecode(target).size() > target.size()) std::abort();
  if (messenger::http::PercentDecodePath(target).size() > target.size()) std::abort();

  messenger::http::Request request;
  request.method = std::string(method);
  const size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  for (const char* name : kQueryNames) (void)request.QueryParam(name);

  auto match = GatewayRouter().Find(request.method, request.path);
  if (match.handler != nullptr) {
    if (match.pattern.empty() || !match.path_known) std::abort();
    for (auto& [name, value] : match.params) {
      value = messenger::http::PercentDecodePath(value);
    }
  } else if (match.path_known && match.allowed.empty()) {
    std::abort();
  }
  return 0;
}
