// A blocking WebSocket client for tests and the bench (Boost.Beast), every
// call bounded by a timeout.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace messenger::e2e {

class WsClient {
 public:
  struct Options {
    std::map<std::string, std::string> headers;
    int receive_buffer_bytes = 0;  // SO_RCVBUF before connecting (0: default)
    absl::Duration timeout = absl::Seconds(10);
  };
  // Connects to 127.0.0.1:`port` and opens `target` ("/v1/ws?ticket=…").
  // A refused handshake is an error whose message holds the HTTP status.
  static absl::StatusOr<std::unique_ptr<WsClient>> Connect(int port, const std::string& target,
                                                           Options options);
  static absl::StatusOr<std::unique_ptr<WsClient>> Connect(int port, const std::string& target) {
    return Connect(port, target, Options{});
  }
  ~WsClient();

  struct Frame {
    bool closed = false;
    uint16_t close_code = 0;  // when closed (1005 when the peer sent none)
    std::string text;
  };
  // The next text frame or the close; DEADLINE_EXCEEDED after `timeout`
  // (the socket is unusable then).
  absl::StatusOr<Frame> Read(absl::Duration timeout);
  absl::Status Send(const std::string& text);
  // Drops the TCP connection without a close frame.
  void Drop();

  struct Impl;

 private:
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace messenger::e2e
