// Records what tests see of the public contract, HTTP exchanges with the
// gateway and events read back from JetStream, as JSON lines in the directory
// MESSENGER_CONTRACT_RECORD_DIR (one file per process). ctest sets it for the
// e2e tests; api/tools/validate_traffic.mjs then checks every line against
// api/openapi.yaml and api/asyncapi.yaml. Unset: nothing is recorded.
#pragma once

#include <nats/nats.h>

#include <string>
#include <utility>
#include <vector>

namespace messenger::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpExchange {
  std::string method;
  std::string target;  // path and query, as sent
  HeaderList request_headers;
  std::string request_body;
  int status = 0;
  HeaderList response_headers;
  std::string response_body;
};

void RecordHttpExchange(const HttpExchange& exchange);
// A message of the events stream; each distinct message is recorded once
// however often the test reads the stream.
void RecordStreamMessage(natsMsg* msg);

}  // namespace messenger::testing
