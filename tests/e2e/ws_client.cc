#include "tests/e2e/ws_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"

namespace messenger::e2e {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

struct WsClient::Impl {
  net::io_context io;
  websocket::stream<tcp::socket> ws{io};
  beast::flat_buffer buffer;

  // Runs the io_context until `done` or the timeout (then cancels).
  bool RunUntil(const bool& done, absl::Duration timeout) {
    io.restart();
    io.run_for(absl::ToChronoNanoseconds(timeout));
    if (done) return true;
    beast::error_code ec;
    beast::get_lowest_layer(ws).cancel(ec);
    io.restart();
    io.run_for(std::chrono::milliseconds(100));
    return false;
  }
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

absl::StatusOr<std::unique_ptr<WsClient>> WsClient::Connect(int port, const std::string& target,
                                                            Options options) {
  auto impl = std::make_unique<Impl>();
  tcp::socket& socket = impl->ws.next_layer();
  beast::error_code ec;
  socket.open(tcp::v4(), ec);
  if (options.receive_buffer_bytes > 0) {
    socket.set_option(net::socket_base::receive_buffer_size(options.receive_buffer_bytes), ec);
  }
  bool done = false;
  beast::error_code result;
  socket.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) {
                         result = e;
                         done = true;
                       });
  if (!impl->RunUntil(done, options.timeout)) return absl::DeadlineExceededError("connect");
  if (result) return absl::UnavailableError(absl::StrCat("connect: ", result.message()));
  impl->ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    for (const auto& [name, value] : options.headers) req.set(name, value);
  }));
  auto response = std::make_shared<websocket::response_type>();
  done = false;
  impl->ws.async_handshake(*response, absl::StrCat("127.0.0.1:", port), target,
                           [&](beast::error_code e) {
                             result = e;
                             done = true;
                           });
  if (!impl->RunUntil(done, options.timeout)) return absl::DeadlineExceededError("handshake");
  if (result) {
    return absl::UnavailableError(absl::StrCat("handshake refused: HTTP ", response->result_int(),
                                               " ", response->body()));
  }
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

absl::StatusOr<WsClient::Frame> WsClient::Read(absl::Duration timeout) {
  bool done = false;
  beast::error_code result;
  impl_->buffer.clear();
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code e, size_t) {
    result = e;
    done = true;
  });
  if (!impl_->RunUntil(done, timeout)) return absl::DeadlineExceededError("no frame in time");
  Frame frame;
  if (result == websocket::error::closed) {
    frame.closed = true;
    frame.close_code = impl_->ws.reason().code;
    return frame;
  }
  if (result) return absl::UnavailableError(absl::StrCat("read: ", result.message()));
  frame.text = beast::buffers_to_string(impl_->buffer.data());
  return frame;
}

absl::Status WsClient::Send(const std::string& text) {
  bool done = false;
  beast::error_code result;
  impl_->ws.text(true);
  impl_->ws.async_write(net::buffer(text), [&](beast::error_code e, size_t) {
    result = e;
    done = true;
  });
  if (!impl_->RunUntil(done, absl::Seconds(10))) return absl::DeadlineExceededError("write");
  if (result) return absl::UnavailableError(absl::StrCat("write: ", result.message()));
  return absl::OkStatus();
}

void WsClient::Drop() {
  beast::error_code ec;
  impl_->ws.next_layer().close(ec);
}

}  // namespace messenger::e2e
