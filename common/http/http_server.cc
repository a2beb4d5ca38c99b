#include "common/http/http_server.h"

#include <boost/beast/websocket/rfc6455.hpp>

#include "common/http/server_internal.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_mapping.h"

namespace messenger::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// ---- Request / Response ----

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, absl::string_view(name.data(), name.size()))) return value;
  }
  return {};
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (PercentDecode(std::string_view(kv.first.data(), kv.first.size())) == name) {
      return PercentDecode(std::string_view(kv.second.data(), kv.second.size()));
    }
  }
  return std::nullopt;
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",     "HEAD",  "POST",  "PUT",
                                                "PATCH",   "DELETE", "OPTIONS"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

void Response::SetHeader(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Response Response::AcceptWebSocket(std::shared_ptr<WebSocketCallbacks> callbacks) {
  Response r;
  r.status = 101;
  r.websocket = std::move(callbacks);
  return r;
}

Response Response::Empty(int status) {
  Response r;
  r.status = status;
  return r;
}

// 429 and 503 are worth retrying: both say when.
Response Response::Error(const absl::Status& status) {
  Response r = Json(HttpStatusFor(status.code()), ErrorBody(status));
  if (r.status == 429 || r.status == 503) {
    r.SetHeader("Retry-After", std::to_string(RetryAfterSeconds(status)));
  }
  return r;
}

Response Response::Error(int http_status, absl::StatusCode code, std::string_view message) {
  Response r = Json(http_status, ErrorBody(absl::Status(code, std::string(message))));
  if (r.status == 429 || r.status == 503) r.SetHeader("Retry-After", "1");
  return r;
}

// ---- Server ----

// What an idle connection reads first (its buffer stays this small).
constexpr size_t kFirstReadBytes = 1024;

class Session : public internal::Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    ++server_.connections;
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~Session() { --server_.connections; }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  void Close() override {
    if (handed_over_) return;  // the WebSocket closes itself
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  // Idle until the next request's first byte (idle_timeout), then its
  // headers (header_timeout), then its body (body_timeout).
  void Read() {
    if (server_.stopping) return;
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(32 * 1024);
    if (buffer_.size() > 0) return ReadHeader();  // pipelined: already started
    stream_.expires_after(absl::ToChronoNanoseconds(server_.options.idle_timeout));
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->OnRead(ec);
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    stream_.expires_after(absl::ToChronoNanoseconds(server_.options.header_timeout));
    bhttp::async_read_header(
        stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec || self->parser_->is_done()) return self->OnRead(ec);
          self->stream_.expires_after(absl::ToChronoNanoseconds(self->server_.options.body_timeout));
          bhttp::async_read(self->stream_, self->buffer_, *self->parser_,
                            [self](beast::error_code ec, size_t) { self->OnRead(ec); });
        });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
      return Shutdown();
    }
    if (ec == bhttp::error::body_limit) {
      linger_ = true;  // the client is still sending: drain it so it reads the answer
      constexpr std::string_view kTooLarge = "request body is larger than 1 MiB";
      if (server_.options.refusal) {
        std::string_view target(parser_->get().target().data(), parser_->get().target().size());
        return WriteAndClose(
            server_.options.refusal(target.substr(0, target.find('?')), 413, kTooLarge));
      }
      return WriteAndClose(Response::Error(413, absl::StatusCode::kInvalidArgument, kTooLarge));
    }
    if (ec == bhttp::error::header_limit) {
      return WriteAndClose(
          Response::Error(431, absl::StatusCode::kInvalidArgument, "request headers too large"));
    }
    if (ec) {
      return WriteAndClose(Response::Error(400, absl::StatusCode::kInvalidArgument,
                                           absl::StrCat("malformed HTTP request: ", ec.message())));
    }
    auto message = parser_->release();
    parser_.reset();
    if (buffer_.size() == 0) buffer_.shrink_to_fit();  // idle connections stay small
    keep_alive_ = message.keep_alive();

    Request request;
    request.method = std::string(message.method_string());
    std::string_view target(message.target().data(), message.target().size());
    const size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : message) {
      request.headers.emplace_back(
          absl::AsciiStrToLower(std::string(field.name_string().data(), field.name_string().size())),
          std::string(field.value()));
    }
    request.remote_address = remote_;
    if (beast::websocket::is_upgrade(message)) {
      request.websocket_upgrade = true;
      upgrade_ = std::move(message);  // the handshake answer needs it
    } else {
      request.body = std::move(message.body());
    }

    if (server_.refusing) {
      // Draining: nothing new starts; the client retries elsewhere or later.
      upgrade_.reset();
      return WriteAndClose(
          Response::Error(absl::UnavailableError("the server is shutting down; retry")));
    }
    stream_.expires_after(absl::ToChronoNanoseconds(server_.options.handler_timeout));
    ++server_.in_flight;
    auto self = shared_from_this();
    server_.handler(std::move(request), [self](Response response) {
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        --self->server_.in_flight;
        if (self->upgrade_ && response.websocket && !self->server_.stopping) {
          self->stream_.expires_never();  // the WebSocket keeps its own timeouts
          self->handed_over_ = true;
          return internal::StartWebSocket(self->server_, std::move(self->stream_),
                                          std::move(*self->upgrade_), std::move(response.websocket));
        }
        self->upgrade_.reset();
        if (response.websocket) {
          response = Response::Error(400, absl::StatusCode::kInvalidArgument,
                                     "this path wants a WebSocket handshake");
        }
        self->Write(std::move(response), !self->keep_alive_ || self->server_.stopping);
      });
    });
  }

  void WriteAndClose(Response response) { Write(std::move(response), true); }

  void Write(Response response, bool close) {
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    message->result(static_cast<unsigned>(response.status));
    message->version(11);
    for (auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(!close);
    message->prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
    bhttp::async_write(stream_, *message,
                       [self = shared_from_this(), message, close](beast::error_code ec, size_t) {
                         if (!ec && close && self->linger_) return self->Linger();
                         if (ec || close) return self->Shutdown();
                         self->Read();
                       });
  }

  // Half-closes and discards what the client still sends (bounded), so that
  // closing does not reset the connection before it has read our answer.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    drain_.resize(64 * 1024);
    DrainSome();
  }

  void DrainSome() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (16u << 20)) return self->stream_.close();
                              self->DrainSome();
                            });
  }

  void Shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request<bhttp::string_body>> upgrade_;
  Server::Impl& server_;
  std::string remote_;
  bool keep_alive_ = true;
  bool linger_ = false;
  std::atomic<bool> handed_over_{false};
  std::vector<char> drain_;
  size_t drained_ = 0;
};

void Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec && connections.load() >= options.max_connections) {
      Reject(std::move(socket));
    } else if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(socket), *this);
      Track(session);
      session->Start();
    } else if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space) {
      log::Warn("http accept failed", {{"error", ec.message()}});
    }
    Accept();
  });
}

void Server::Impl::Track(const std::shared_ptr<internal::Connection>& connection) {
  std::lock_guard lock(sessions_mutex);
  // Forget closed sessions now and then so the list stays small.
  if (sessions.size() > 1024 && sessions.size() > 2 * connections.load()) {
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
  }
  sessions.push_back(connection);
}

void Server::Impl::Reject(tcp::socket socket) {
  static const std::string kBusy = [] {
    const std::string body =
        ErrorBody(absl::UnavailableError("too many connections; try again later")).dump();
    return absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n",
                        "Retry-After: 1\r\nConnection: close\r\nContent-Length: ", body.size(),
                        "\r\n\r\n", body);
  }();
  metrics::Registry::Default()
      .GetCounter("http_connections_rejected_total", "Connections refused past the limit")
      .Inc();
  auto held = std::make_shared<tcp::socket>(std::move(socket));
  // Small enough for the socket buffer: this write does not wait for the client.
  net::async_write(*held, net::buffer(kBusy), [held](beast::error_code, size_t) {
    beast::error_code ec;
    held->shutdown(tcp::socket::shutdown_send, ec);
    held->close(ec);
  });
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Options options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  beast::error_code ec;
  auto address = net::ip::make_address(impl->options.host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen host ", impl->options.host));
  tcp::endpoint endpoint(address, static_cast<unsigned short>(impl->options.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(4096, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("http listen on ", impl->options.host, ":",
                                               impl->options.port, ": ", ec.message()));
  }
  impl->Accept();
  for (int i = 0; i < std::max(1, impl->options.io_threads); ++i) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::~Server() { Stop(absl::ZeroDuration()); }

int Server::port() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

size_t Server::open_connections() const { return impl_->connections.load(); }

size_t Server::open_websockets() const { return impl_->websockets.load(); }

void Server::Refuse() { impl_->refusing = true; }

size_t Server::in_flight() const { return impl_->in_flight.load(); }

void Server::Stop(absl::Duration grace) {
  if (impl_->threads.empty()) return;
  impl_->stopping = true;
  net::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  const absl::Time deadline = absl::Now() + grace;
  while (impl_->in_flight.load() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) session->Close();
    }
    impl_->sessions.clear();
  }
  // Let the close handlers run, then stop.
  const absl::Time close_deadline = absl::Now() + absl::Seconds(2);
  while (impl_->connections.load() > 0 && absl::Now() < close_deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace messenger::http
