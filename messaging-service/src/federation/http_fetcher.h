// One HTTP(S) exchange with another server (cpp-httplib + OpenSSL): TLS with
// certificate verification unless plain HTTP is configured, bounded
// connect/read time and response size.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace messenger::federation {

// Where a request goes: the address to connect to and the name it is for
// (Host header, TLS server name and certificate check).
struct Endpoint {
  std::string host;
  int port = 8448;
  std::string host_header;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpFetcher {
 public:
  struct Options {
    bool tls = true;
    absl::Duration connect_timeout = absl::Seconds(2);
    absl::Duration request_timeout = absl::Seconds(3);
    size_t max_response_bytes = 1 << 20;
  };
  explicit HttpFetcher(Options options) : options_(options) {}
  virtual ~HttpFetcher() = default;

  // Unavailable when the server cannot be reached or times out,
  // ResourceExhausted when the answer passes max_response_bytes. Any HTTP
  // status is a reply.
  virtual absl::StatusOr<HttpReply> Fetch(const Endpoint& endpoint, const std::string& method,
                                          const std::string& target,
                                          const std::map<std::string, std::string>& headers,
                                          const std::string& body);
  // Whether requests use TLS (the default port of /.well-known differs).
  bool tls() const { return options_.tls; }

 private:
  Options options_;
};

}  // namespace messenger::federation
