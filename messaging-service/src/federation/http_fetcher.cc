#include "messaging-service/src/federation/http_fetcher.h"

#include <httplib.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace messenger::federation {
namespace {

std::unique_ptr<httplib::ClientImpl> NewClient(const Endpoint& endpoint, bool tls) {
  if (!tls) return std::make_unique<httplib::ClientImpl>(endpoint.host, endpoint.port);
  auto client = std::make_unique<httplib::SSLClient>(endpoint.host, endpoint.port);
  // The system's CAs; the certificate must name the server we meant.
  client->enable_server_certificate_verification(true);
  return client;
}

}  // namespace

absl::StatusOr<HttpReply> HttpFetcher::Fetch(const Endpoint& endpoint, const std::string& method,
                                             const std::string& target,
                                             const std::map<std::string, std::string>& headers,
                                             const std::string& body) {
  std::unique_ptr<httplib::ClientImpl> client = NewClient(endpoint, options_.tls);
  const auto connect_us = absl::ToInt64Microseconds(options_.connect_timeout);
  const auto request_us = absl::ToInt64Microseconds(options_.request_timeout);
  client->set_connection_timeout(connect_us / 1'000'000, connect_us % 1'000'000);
  client->set_read_timeout(request_us / 1'000'000, request_us % 1'000'000);
  client->set_write_timeout(request_us / 1'000'000, request_us % 1'000'000);
  client->set_keep_alive(false);
  client->set_follow_location(false);

  httplib::Request req;
  req.method = method;
  req.path = target;
  for (const auto& [name, value] : headers) req.headers.emplace(name, value);
  req.headers.emplace("Host", endpoint.host_header);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body = body;
    req.headers.emplace("Content-Type", "application/json");
  }
  std::string received;
  bool too_large = false;
  const size_t limit = options_.max_response_bytes;
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (received.size() + size > limit) {
      too_large = true;
      return false;
    }
    received.append(data, size);
    return true;
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const bool ok = client->send(req, res, error);
  if (too_large) {
    return absl::ResourceExhaustedError(
        absl::StrCat("answer of ", endpoint.host_header, " is larger than ", limit, " bytes"));
  }
  if (!ok) {
    return absl::UnavailableError(absl::StrCat("cannot reach ", endpoint.host_header, " at ",
                                               endpoint.host, ":", endpoint.port, ": ",
                                               httplib::to_string(error)));
  }
  return HttpReply{res.status, std::move(received)};
}

}  // namespace messenger::federation
