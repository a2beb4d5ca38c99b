#include "common/bus/nats_bus.h"

#include <nats/nats.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/trace.h"

namespace messenger::bus {

struct NatsBus::AsyncAcks {
  std::mutex mutex;
  std::set<std::string> acked;  // Nats-Msg-Id of positive acks
};

const std::vector<std::string>& StreamSubjects() {
  static const std::vector<std::string> kSubjects = {
      "user.>", "session.>", "profile.>", "friendship.>", "message.>", "conversation.>"};
  return kSubjects;
}

absl::Status NatsError(int status, std::string_view what, int js_error) {
  std::string text = natsStatus_GetText(static_cast<natsStatus>(status));
  if (js_error != 0) absl::StrAppend(&text, " (jetstream error ", js_error, ")");
  return absl::UnavailableError(absl::StrCat("nats ", std::string(what), ": ", text));
}

Subscription::~Subscription() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
}

absl::StatusOr<std::unique_ptr<NatsBus>> NatsBus::Connect(Options options) {
  std::unique_ptr<NatsBus> bus(new NatsBus(std::move(options)));
  // No URL: offline (a process that only migrates); every call answers
  // UNAVAILABLE. Connect would otherwise wait here until a server answers.
  if (bus->options_.url.empty()) return bus;
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, bus->options_.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, bus->options_.name.c_str());
  if (s == NATS_OK && !bus->options_.user.empty()) {
    s = natsOptions_SetUserInfo(opts, bus->options_.user.c_str(), bus->options_.password.c_str());
  }
  if (s == NATS_OK && !bus->options_.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, bus->options_.creds_file.c_str(), nullptr);
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, 100, 0);
  // Buffer plain publishes while reconnecting instead of failing them.
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 8 * 1024 * 1024);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectedCB(
        opts,
        [](natsConnection*, void* closure) {
          auto* self = static_cast<NatsBus*>(closure);
          std::lock_guard lock(self->reconnected_mutex_);
          for (auto& [id, callback] : self->on_reconnected_) callback();
        },
        bus.get());
  }
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return NatsError(s, "options");
  }
  s = natsConnection_Connect(&bus->conn_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) return NatsError(s, "connect");
  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.Wait = absl::ToInt64Milliseconds(bus->options_.request_timeout);
  s = natsConnection_JetStream(&bus->js_, bus->conn_, &js_opts);
  if (s != NATS_OK) return NatsError(s, "jetstream context");
  bus->async_acks_ = std::make_unique<AsyncAcks>();
  jsOptions async_opts;
  jsOptions_Init(&async_opts);
  async_opts.Wait = js_opts.Wait;
  async_opts.PublishAsync.MaxPending = 4096;
  async_opts.PublishAsync.AckHandlerClosure = bus->async_acks_.get();
  async_opts.PublishAsync.AckHandler = [](jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr*,
                                          void* closure) {
    auto* acks = static_cast<AsyncAcks*>(closure);
    const char* id = nullptr;
    if (ack != nullptr && natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
      std::lock_guard lock(acks->mutex);
      acks->acked.insert(id);
    }
    natsMsg_Destroy(msg);  // the handler owns it
  };
  s = natsConnection_JetStream(&bus->async_js_, bus->conn_, &async_opts);
  if (s != NATS_OK) return NatsError(s, "jetstream context");
  return bus;
}

NatsBus::NatsBus(Options options) : options_(std::move(options)) {}

NatsBus::Options NatsBus::Options::FromConfig(const CommonConfig& config, std::string name) {
  // MESSENGER_MIGRATE_ONLY needs no NATS: offline.
  return {.url = config.migrate_only ? "" : config.nats_url,
          .name = std::move(name),
          .user = config.nats_user,
          .password = config.nats_password,
          .creds_file = config.nats_creds,
          .stream_replicas = config.nats_stream_replicas};
}

NatsBus::~NatsBus() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (async_js_ != nullptr) jsCtx_Destroy(async_js_);
  if (conn_ != nullptr) {
    natsConnection_Close(conn_);
    natsConnection_Destroy(conn_);
  }
}

bool NatsBus::connected() const {
  return conn_ != nullptr && natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

absl::Status NatsBus::EnsureStream() {
  if (!connected()) return absl::UnavailableError("nats: not connected");
  std::vector<const char*> subjects;
  for (const auto& subject : StreamSubjects()) subjects.push_back(subject.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = kStreamName;
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  // Every start re-applies it: a count changed by hand is reset to the
  // configured one (JetStream adds or removes peers).
  cfg.Replicas = options_.stream_replicas;
  // Window in which a republished Nats-Msg-Id is dropped (relay crash between
  // publish and marking the row sent).
  cfg.Duplicates = absl::ToInt64Nanoseconds(absl::Minutes(10));
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, js_, &cfg, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) {
    s = js_UpdateStream(&info, js_, &cfg, nullptr, &jerr);
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) return NatsError(s, "ensure stream", jerr);
  return absl::OkStatus();
}

absl::Status NatsBus::Publish(const Event& event) {
  if (!connected()) return absl::UnavailableError("nats: not connected");
  const std::string payload = event.ToJson();
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, event.type.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK) return NatsError(s, "message");
  if (!event.trace_id.empty()) {
    natsMsgHeader_Set(msg, "traceparent", trace::FormatTraceparent(event.trace_id).c_str());
  }
  jsPubOptions opts;
  jsPubOptions_Init(&opts);
  opts.MsgId = event.id.c_str();
  opts.MaxWait = absl::ToInt64Milliseconds(options_.request_timeout);
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, js_, msg, &opts, &jerr);
  natsMsg_Destroy(msg);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  if (s != NATS_OK) return NatsError(s, "publish " + event.type, jerr);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> NatsBus::PublishBatch(const std::vector<Event>& events) {
  // Disconnected, the library would buffer the messages and we would wait the
  // whole ack timeout for nothing; the caller retries after the reconnect.
  if (!connected()) return absl::UnavailableError("nats: not connected");
  std::lock_guard batch(batch_mutex_);
  {
    std::lock_guard lock(async_acks_->mutex);
    async_acks_->acked.clear();
  }
  absl::Status error;
  size_t sent = 0;
  for (const Event& event : events) {
    const std::string payload = event.ToJson();
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, event.type.c_str(), nullptr, payload.data(),
                                  static_cast<int>(payload.size()));
    if (s == NATS_OK && !event.trace_id.empty()) {
      s = natsMsgHeader_Set(msg, "traceparent", trace::FormatTraceparent(event.trace_id).c_str());
    }
    jsPubOptions opts;
    jsPubOptions_Init(&opts);
    opts.MsgId = event.id.c_str();  // sets the Nats-Msg-Id header
    if (s == NATS_OK) s = js_PublishMsgAsync(async_js_, &msg, &opts);
    if (msg != nullptr) natsMsg_Destroy(msg);  // not taken over: failed
    if (s != NATS_OK) {
      error = NatsError(s, "publish " + event.type);
      break;  // keep commit order: later ones wait for the next batch
    }
    ++sent;
  }
  if (sent > 0) {
    jsPubOptions wait;
    jsPubOptions_Init(&wait);
    wait.MaxWait = absl::ToInt64Milliseconds(options_.request_timeout);
    natsStatus s = js_PublishAsyncComplete(async_js_, &wait);
    if (s != NATS_OK && error.ok()) error = NatsError(s, "publish acks");
  }
  // Messages whose ack never came (lost with a killed server) would stay
  // pending in the context forever: every later batch would wait the whole
  // timeout for them, and they would fill MaxPending. Give them up; the
  // caller publishes those rows again (deduplicated by Nats-Msg-Id).
  natsMsgList stale = {nullptr, 0};
  if (js_PublishAsyncGetPendingList(&stale, async_js_) == NATS_OK) natsMsgList_Destroy(&stale);
  std::vector<bool> acked(events.size(), false);
  {
    std::lock_guard lock(async_acks_->mutex);
    for (size_t i = 0; i < events.size(); ++i) acked[i] = async_acks_->acked.contains(events[i].id);
  }
  if (!error.ok() && sent == 0) return error;
  return acked;
}

absl::Status NatsBus::PublishCore(std::string_view subject, std::string_view data) {
  natsStatus s = natsConnection_Publish(conn_, std::string(subject).c_str(), data.data(),
                                        static_cast<int>(data.size()));
  if (s != NATS_OK) return NatsError(s, "publish");
  return absl::OkStatus();
}

absl::Status NatsBus::Flush() {
  natsStatus s = natsConnection_FlushTimeout(conn_, 2000);
  if (s != NATS_OK) return NatsError(s, "flush");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Subscription>> NatsBus::Subscribe(std::string_view subject,
                                                                 Subscription::Callback callback) {
  std::unique_ptr<Subscription> sub(new Subscription());
  sub->callback_ = std::move(callback);
  natsStatus s = natsConnection_Subscribe(
      &sub->sub_, conn_, std::string(subject).c_str(),
      [](natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
        auto* self = static_cast<Subscription*>(closure);
        self->callback_(natsMsg_GetSubject(msg),
                        std::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
        natsMsg_Destroy(msg);
      },
      sub.get());
  if (s != NATS_OK) return NatsError(s, "subscribe");
  return sub;
}

std::unique_ptr<NatsBus::ReconnectHook> NatsBus::OnReconnected(std::function<void()> callback) {
  std::lock_guard lock(reconnected_mutex_);
  const uint64_t id = next_hook_id_++;
  on_reconnected_.emplace(id, std::move(callback));
  return std::make_unique<ReconnectHook>(*this, id);
}

NatsBus::ReconnectHook::~ReconnectHook() {
  std::lock_guard lock(bus_.reconnected_mutex_);
  bus_.on_reconnected_.erase(id_);
}

}  // namespace messenger::bus
