// The server side of a WebSocket (Boost.Beast): one read loop, one write at a
// time from a byte-bounded queue, pings from Beast's keep-alive timer.
#include <boost/beast/websocket.hpp>

#include <deque>

#include "common/http/server_internal.h"
#include "common/metrics.h"

namespace messenger::http::internal {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ws = boost::beast::websocket;

// A peer that does not answer our close frame in time loses the connection.
constexpr auto kCloseGrace = std::chrono::seconds(5);

metrics::Counter& QueueFullCounter() {
  static metrics::Counter& counter = metrics::Registry::Default().GetCounter(
      "websocket_queue_full_total", "WebSocket frames refused because the queue was full");
  return counter;
}

class WsConnection : public Connection,
                     public WebSocket,
                     public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(Server::Impl& server, beast::tcp_stream stream,
               std::shared_ptr<WebSocketCallbacks> callbacks)
      : server_(server),
        ws_(std::move(stream)),
        close_timer_(ws_.get_executor()),
        deadline_timer_(ws_.get_executor()),
        callbacks_(std::move(callbacks)) {
    ++server_.connections;
    ++server_.websockets;
  }
  ~WsConnection() override {
    --server_.websockets;
    --server_.connections;
  }

  void Start(beast::http::request<beast::http::string_body> request) {
    const Server::Options& o = server_.options;
    if (o.websocket_send_buffer_bytes > 0) {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().set_option(
          net::socket_base::send_buffer_size(o.websocket_send_buffer_bytes), ec);
    }
    ws::stream_base::timeout timeout;
    timeout.handshake_timeout = std::chrono::seconds(10);
    timeout.idle_timeout = absl::ToChronoNanoseconds(o.websocket_idle_timeout);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(o.websocket_max_message_bytes);
    ws_.auto_fragment(false);
    auto self = shared_from_this();
    auto held = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(request));
    ws_.async_accept(*held, [self, held](beast::error_code ec) {
      if (ec) return self->Finish();
      self->open_ = true;
      if (self->callbacks_->on_open) self->callbacks_->on_open(self);
      self->Read();
    });
  }

  bool Send(std::string text) override {
    const size_t size = text.size();
    const size_t limit = server_.options.websocket_max_queue_bytes;
    size_t queued = queued_bytes_.load();
    do {
      // One frame always fits an empty queue, however large.
      if (closing_ || (queued > 0 && queued + size > limit)) {
        if (!closing_) QueueFullCounter().Inc();
        return false;
      }
    } while (!queued_bytes_.compare_exchange_weak(queued, queued + size));
    net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      if (self->closing_ || self->finished_) {
        self->queued_bytes_ -= text.size();
        return;
      }
      self->queue_.push_back(std::move(text));
      if (!self->writing_) self->WriteNext();
    });
    return true;
  }

  void Close(uint16_t code, std::string reason) override {
    closing_ = true;
    net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)] {
      self->CloseOnStrand(code, reason);
    });
  }

  // Server::Stop.
  void Close() override { Close(ws::close_code::going_away, "server stopping"); }

  size_t queued_bytes() const override { return queued_bytes_.load(); }

  void SetDeadline(absl::Time deadline, uint16_t code, std::string reason) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), deadline, code,
                                   reason = std::move(reason)]() mutable {
      self->deadline_timer_.cancel();
      if (deadline == absl::InfiniteFuture() || self->finished_) return;
      self->deadline_timer_.expires_after(
          absl::ToChronoNanoseconds(std::max(absl::ZeroDuration(), deadline - absl::Now())));
      self->deadline_timer_.async_wait(
          [self, code, reason = std::move(reason)](beast::error_code ec) {
            if (ec) return;  // cancelled: a newer deadline or none
            self->closing_ = true;
            self->CloseOnStrand(code, reason);
          });
    });
  }

 private:
  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Finish();
      std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->buffer_.shrink_to_fit();  // idle sockets stay small
      if (self->ws_.got_text() && self->callbacks_->on_message && !self->closing_) {
        self->callbacks_->on_message(std::move(text));
      }
      self->Read();
    });
  }

  void WriteNext() {
    if (queue_.empty() || closing_ || finished_) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      self->queued_bytes_ -= self->queue_.front().size();
                      self->queue_.pop_front();
                      if (ec) return self->Finish();
                      self->WriteNext();
                    });
  }

  void CloseOnStrand(uint16_t code, const std::string& reason) {
    if (close_sent_ || finished_) return;
    close_sent_ = true;
    // What was queued but not started goes; a write under way finishes first
    // (Beast sends the close frame after it).
    size_t dropped = 0;
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      dropped += queue_.back().size();
      queue_.pop_back();
    }
    queued_bytes_ -= dropped;
    close_timer_.expires_after(kCloseGrace);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      beast::get_lowest_layer(self->ws_).close();
    });
    if (!open_) return;  // the handshake fails on its own
    ws::close_reason why(code);
    why.reason = reason.substr(0, 120);  // a close frame carries at most 123 bytes
    ws_.async_close(why,
                    [self = shared_from_this()](beast::error_code) {
                      // The read loop ends when the peer's close frame arrives.
                    });
  }

  // Runs once, when the read loop or a write ended.
  void Finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    close_timer_.cancel();
    deadline_timer_.cancel();
    beast::get_lowest_layer(ws_).close();
    auto callbacks = std::move(callbacks_);  // the owner's captures go now
    callbacks_ = std::make_shared<WebSocketCallbacks>();
    if (callbacks->on_closed) callbacks->on_closed();
  }

  Server::Impl& server_;
  ws::stream<beast::tcp_stream> ws_;
  net::steady_timer close_timer_;
  net::steady_timer deadline_timer_;
  std::shared_ptr<WebSocketCallbacks> callbacks_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<bool> closing_{false};
  bool open_ = false;
  bool writing_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
};

}  // namespace

void StartWebSocket(Server::Impl& server, beast::tcp_stream stream,
                    beast::http::request<beast::http::string_body> request,
                    std::shared_ptr<WebSocketCallbacks> callbacks) {
  auto connection = std::make_shared<WsConnection>(server, std::move(stream), std::move(callbacks));
  server.Track(connection);
  connection->Start(std::move(request));
}

}  // namespace messenger::http::internal
