// NATS connection with JetStream: the MESSENGER_EVENTS stream, publishing with
// acks and dedup ids, and plain subscriptions. The connection reconnects
// forever; calls made while NATS is away fail with UNAVAILABLE.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/config.h"

struct __natsConnection;
struct __natsSubscription;
struct __jsCtx;

namespace messenger::bus {

inline constexpr char kStreamName[] = "MESSENGER_EVENTS";
// Plain NATS subject (not in the stream): a JSON array of user ids whose sync
// feed has news; gateways wake their waiting long polls with it.
inline constexpr char kSyncWakeSubject[] = "messenger.sync.wake";
// Every event subject the stream stores.
const std::vector<std::string>& StreamSubjects();

// A plain (core NATS) subscription; unsubscribes when destroyed.
class Subscription {
 public:
  using Callback = std::function<void(std::string_view subject, std::string_view data)>;
  ~Subscription();

 private:
  friend class NatsBus;
  Subscription() = default;
  __natsSubscription* sub_ = nullptr;
  Callback callback_;
};

class NatsBus {
 public:
  struct Options {
    std::string url;
    std::string name = "messenger";
    absl::Duration request_timeout = absl::Seconds(5);
    // Either a user and password or a .creds file (JWT and nkey seed); both
    // empty: no credentials (or the ones in the URL).
    std::string user;
    std::string password;
    std::string creds_file;
    int stream_replicas = 1;  // of MESSENGER_EVENTS, applied by EnsureStream

    // The connection settings of `config` for a client named `name`.
    static Options FromConfig(const CommonConfig& config, std::string name);
  };

  // Returns at once even when the server is not up yet: the library keeps
  // connecting in the background.
  static absl::StatusOr<std::unique_ptr<NatsBus>> Connect(Options options);
  ~NatsBus();

  bool connected() const;
  // Creates the stream, or updates its configuration; safe to call concurrently
  // from several processes.
  absl::Status EnsureStream();
  // Publishes to JetStream and waits for the ack. The event id is the
  // Nats-Msg-Id, so a republish after a crash is dropped by the server.
  absl::Status Publish(const Event& event);
  // Publishes all events without waiting for each ack, then waits for the
  // acks (up to the request timeout). Returns, per event, whether JetStream
  // acknowledged it. One batch at a time.
  absl::StatusOr<std::vector<bool>> PublishBatch(const std::vector<Event>& events);
  // Plain NATS publish, no persistence (wake-up signals).
  absl::Status PublishCore(std::string_view subject, std::string_view data);
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(std::string_view subject,
                                                          Subscription::Callback callback);
  // Removes its callback when it goes: once destroyed, the callback is not
  // running and never runs again (destroy it before the callback's target).
  class ReconnectHook {
   public:
    ReconnectHook(NatsBus& bus, uint64_t id) : bus_(bus), id_(id) {}
    ~ReconnectHook();
    ReconnectHook(const ReconnectHook&) = delete;
    ReconnectHook& operator=(const ReconnectHook&) = delete;

   private:
    NatsBus& bus_;
    uint64_t id_;
  };
  // `callback` runs (on a NATS thread) each time the connection comes back
  // after a loss: plain subscriptions missed whatever was sent meanwhile.
  // Every registered callback runs; a callback must not add or remove hooks.
  [[nodiscard]] std::unique_ptr<ReconnectHook> OnReconnected(std::function<void()> callback);
  // Flushes pending plain publishes (tests).
  absl::Status Flush();

  __natsConnection* connection() { return conn_; }
  __jsCtx* jetstream() { return js_; }
  const Options& options() const { return options_; }

 private:
  explicit NatsBus(Options options);
  struct AsyncAcks;
  Options options_;
  __natsConnection* conn_ = nullptr;
  __jsCtx* js_ = nullptr;
  __jsCtx* async_js_ = nullptr;  // its ack handler fills async_acks_
  std::unique_ptr<AsyncAcks> async_acks_;
  std::mutex batch_mutex_;
  std::mutex reconnected_mutex_;  // held while the callbacks run
  uint64_t next_hook_id_ = 0;
  std::map<uint64_t, std::function<void()>> on_reconnected_;
};

// "nats: <text>" UNAVAILABLE status for a NATS error.
absl::Status NatsError(int status, std::string_view what, int js_error = 0);

}  // namespace messenger::bus
