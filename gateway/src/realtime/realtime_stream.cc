#include "gateway/src/realtime/realtime_stream.h"

#include "common/log.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {
namespace {

// A socket that authenticates by its first frame must send it by then.
constexpr absl::Duration kAuthFrameTimeout = absl::Seconds(10);
// Messaging holds news back (an open commit): look again this soon.
constexpr absl::Duration kLaggingRetry = absl::Milliseconds(2);

}  // namespace

RealtimeStream::RealtimeStream(Gateway& gateway, std::optional<Principal> principal,
                               std::string since)
    : gateway_(gateway), principal_(std::move(principal)), since_(std::move(since)) {}

std::shared_ptr<http::WebSocketCallbacks> RealtimeStream::Callbacks() {
  auto callbacks = std::make_shared<http::WebSocketCallbacks>();
  auto self = shared_from_this();
  callbacks->on_open = [self](std::shared_ptr<http::WebSocket> socket) {
    self->OnOpen(std::move(socket));
  };
  callbacks->on_message = [self](std::string text) { self->OnMessage(text); };
  callbacks->on_closed = [self] { self->OnClosed(); };
  return callbacks;
}

void RealtimeStream::OnOpen(std::shared_ptr<http::WebSocket> socket) {
  std::optional<Principal> principal;
  {
    std::lock_guard lock(mutex_);
    socket_ = socket;
    principal = principal_;
  }
  if (principal) return Authenticated(std::move(*principal));
  socket->SetDeadline(absl::Now() + kAuthFrameTimeout, kWsCloseUnauthenticated,
                      "send {\"type\":\"auth\",\"access_token\":…} first");
}

void RealtimeStream::OnMessage(const std::string& text) {
  const nlohmann::json frame = nlohmann::json::parse(text, nullptr, false);
  const std::string type =
      frame.is_object() && frame.contains("type") && frame["type"].is_string() ? frame["type"] : "";
  bool authenticate = false;
  {
    std::lock_guard lock(mutex_);
    if (type == "auth" && !principal_ && !authenticating_) {
      authenticating_ = true;
      authenticate = true;
    }
  }
  if (type == "ping") return Send(R"({"type":"pong"})");
  if (!authenticate) {
    if (type == "auth") return;  // a repeat: the first one counts
    return Close(kWsCloseBadFrame, "unknown frame; expected auth or ping");
  }
  if (!frame.contains("access_token") || !frame["access_token"].is_string()) {
    return Close(kWsCloseUnauthenticated, "auth frame without access_token");
  }
  // Validation may call the session service: not on the socket's I/O thread.
  const bool queued = gateway_.Submit(
      [self = shared_from_this(), token = frame["access_token"].get<std::string>()] {
        absl::StatusOr<Principal> principal =
            self->gateway_.bearer_auth().Authenticate("Bearer " + token);
        if (!principal.ok()) {
          if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
            return self->Close(kWsCloseUnauthenticated, "missing or invalid access token");
          }
          return self->Close(kWsCloseInternal, "cannot check the token now; retry");
        }
        self->Authenticated(std::move(*principal));
      });
  if (!queued) Close(kWsCloseInternal, "server busy; retry");
}

void RealtimeStream::Authenticated(Principal principal) {
  std::shared_ptr<http::WebSocket> socket;
  {
    std::lock_guard lock(mutex_);
    if (!socket_) return;  // closed meanwhile
    socket = socket_;
    principal_ = principal;
    registered_ = true;
    looking_ = true;
  }
  socket->SetDeadline(principal.expires_at, kWsCloseSessionEnded, "access token expired");
  gateway_.realtime().Add(principal.user_id, principal.session_id, shared_from_this());
  // Revoked between the validation and Add: CloseSession ran before we were
  // in the hub.
  if (!gateway_.bearer_auth().StillValid(principal.session_id)) {
    return Close(kWsCloseSessionEnded, "session ended");
  }
  Look();
}

void RealtimeStream::Wake() {
  {
    std::lock_guard lock(mutex_);
    if (!socket_ || !registered_) return;
    if (looking_) {
      dirty_ = true;
      return;
    }
    looking_ = true;
  }
  Look();
}

void RealtimeStream::Look() {
  messaging::v1::SyncRequest request;
  {
    std::lock_guard lock(mutex_);
    if (!socket_) {
      looking_ = false;
      return;
    }
    dirty_ = false;
    request.set_user_id(principal_->user_id);
    request.set_since(since_);
  }
  Gateway& gw = gateway_;
  gw.CallAsync<messaging::v1::SyncRequest, messaging::v1::SyncResponse>(
      [&gw](auto* context, auto* request, auto* response, auto on_done) {
        gw.stubs().messaging->async()->Sync(context, request, response, std::move(on_done));
      },
      std::move(request),
      [self = shared_from_this()](absl::Status status, const messaging::v1::SyncResponse& r) {
        if (!status.ok()) {
          log::Warn("websocket sync failed", {{"error", std::string(status.message())}});
          // The client resumes from its last token.
          return self->Close(kWsCloseInternal, "sync failed; reconnect with your last token");
        }
        bool send = false;
        bool again = false;
        std::string user_id;
        {
          std::lock_guard lock(self->mutex_);
          // The first frame tells a client without a token where it stands.
          send = r.events_size() > 0 || self->first_look_;
          self->first_look_ = false;
          self->since_ = r.next();
          again = self->dirty_ || r.lagging();
          if (!again) self->looking_ = false;
          user_id = self->principal_->user_id;
        }
        if (send) {
          nlohmann::json frame = SyncBodyJson(r);
          frame["type"] = "sync";
          self->Send(frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        }
        if (!again) return;
        if (r.events_size() > 0 || !r.lagging()) return self->Look();
        // Nothing readable yet: look again in a moment, or at the next wake-up.
        WaitHub& hub = self->gateway_.sync_hub();
        hub.Wait(user_id, hub.Version(user_id), absl::Now() + kLaggingRetry,
                 [self] { self->Look(); });
      });
}

void RealtimeStream::Send(std::string frame) {
  std::shared_ptr<http::WebSocket> socket;
  {
    std::lock_guard lock(mutex_);
    socket = socket_;
  }
  if (socket && !socket->Send(std::move(frame))) {
    Close(kWsCloseSlowReader, "reading too slowly; reconnect with your last token");
  }
}

void RealtimeStream::Close(uint16_t code, const char* reason) {
  std::shared_ptr<http::WebSocket> socket;
  {
    std::lock_guard lock(mutex_);
    socket = socket_;
  }
  if (socket) socket->Close(code, reason);
}

void RealtimeStream::OnClosed() {
  std::optional<Principal> principal;
  bool registered = false;
  {
    std::lock_guard lock(mutex_);
    socket_.reset();
    principal = principal_;
    registered = registered_;
  }
  if (registered) gateway_.realtime().Remove(principal->user_id, principal->session_id, this);
}

}  // namespace messenger::gateway
