// One /v1/ws socket: authenticates (a ticket at the handshake or the access
// token as the first frame), then streams the user's sync feed from `since`
// as {"type":"sync","next":…,"events":[…]} frames, looking again whenever the
// realtime hub wakes it. At most one Sync call is in flight per socket; what
// it could not send fast enough closes it (kWsCloseSlowReader).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/http/http_server.h"
#include "gateway/src/auth/bearer_auth.h"
#include "gateway/src/realtime/realtime_hub.h"

namespace messenger::gateway {

class Gateway;

class RealtimeStream : public RealtimeClient,
                       public std::enable_shared_from_this<RealtimeStream> {
 public:
  // `principal` is empty when the first frame is to authenticate.
  RealtimeStream(Gateway& gateway, std::optional<Principal> principal, std::string since);

  std::shared_ptr<http::WebSocketCallbacks> Callbacks();
  void Wake() override;
  void Close(uint16_t code, const char* reason) override;

 private:
  void OnOpen(std::shared_ptr<http::WebSocket> socket);
  void OnMessage(const std::string& text);
  void OnClosed();
  void Authenticated(Principal principal);
  void Look();
  void Send(std::string frame);

  Gateway& gateway_;
  std::mutex mutex_;
  std::shared_ptr<http::WebSocket> socket_;  // null once closed
  std::optional<Principal> principal_;
  bool authenticating_ = false;
  bool registered_ = false;
  std::string since_;
  bool first_look_ = true;
  bool looking_ = false;
  bool dirty_ = false;  // woken while a look was under way
};

}  // namespace messenger::gateway
