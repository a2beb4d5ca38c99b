// Parts of http::Server shared by its HTTP and WebSocket connections (not for
// users of the server).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/http/http_server.h"

namespace messenger::http {

namespace internal {

// An open connection the server closes on Stop.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Close() = 0;
};

}  // namespace internal

struct Server::Impl {
  Options options;
  Handler handler;
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> websockets{0};
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> refusing{false};  // Refuse(): new requests get 503
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<internal::Connection>> sessions;  // for closing on Stop

  void Accept();
  // Past max_connections: a 503 with Retry-After, then close.
  void Reject(boost::asio::ip::tcp::socket socket);
  void Track(const std::shared_ptr<internal::Connection>& connection);
};

namespace internal {

// Takes over an HTTP connection whose request was a WebSocket handshake the
// handler accepted: answers 101 and runs the WebSocket.
void StartWebSocket(Server::Impl& server, boost::beast::tcp_stream stream,
                    boost::beast::http::request<boost::beast::http::string_body> request,
                    std::shared_ptr<WebSocketCallbacks> callbacks);

}  // namespace internal

}  // namespace messenger::http
