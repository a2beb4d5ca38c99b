#include "common/bus/consumer.h"

#include <nats/nats.h>

#include "common/log.h"
#include "common/status.h"
#include "common/trace.h"

namespace messenger::bus {
namespace {

constexpr absl::Duration kReconnectPoll = absl::Milliseconds(50);

constexpr pg::Query kMarkProcessed{
    "consumer_mark_processed",
    "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"};

}  // namespace

EventConsumer::EventConsumer(NatsBus& bus, pg::Pool& pool, Options options, Handler handler)
    : bus_(bus), pool_(pool), options_(std::move(options)), handler_(std::move(handler)) {
  pending_gauge_ = metrics::Registry::Default().AddGauge(
      "messenger_consumer_pending", "Events in the stream not yet delivered to the consumer (lag)",
      {{"consumer", options_.durable}}, [this] { return double(pending_.load()); });
}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<bool> ApplyEventOnce(
    pg::Pool& pool, const std::string& consumer, const Event& event,
    const std::function<absl::Status(const Event& event, pg::Tx& tx)>& handler) {
  bool applied = false;
  trace::ScopedTrace scoped(event.trace_id);
  RETURN_IF_ERROR(pool.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result marked, tx.Exec(kMarkProcessed, {consumer, event.id}));
    applied = marked.affected() == 1;
    if (!applied) return absl::OkStatus();  // seen before
    return handler(event, tx);
  }));
  // With the event's trace id: one id from the request to its consumers.
  log::Debug("event handled", {{"consumer", consumer},
                               {"event_id", event.id},
                               {"type", event.type},
                               {"duplicate", !applied}});
  return applied;
}

absl::StatusOr<bool> EventConsumer::Apply(const Event& event) {
  ASSIGN_OR_RETURN(bool applied, ApplyEventOnce(pool_, options_.durable, event, handler_));
  if (applied) ++processed_;
  return applied;
}

void EventConsumer::Run() {
  natsSubscription* sub = nullptr;
  absl::Duration backoff = absl::Milliseconds(100);
  bool warned = false;
  while (!stopping_) {
    if (!bus_.connected()) {
      // Wait for the reconnect without growing the backoff (it would delay
      // the first fetch after NATS returns) and without fetching (the pull
      // request would only sit in the reconnect buffer).
      absl::SleepFor(kReconnectPoll);
      backoff = absl::Milliseconds(100);
      continue;
    }
    if (sub == nullptr) {
      absl::Status ready = bus_.EnsureStream();
      if (ready.ok()) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = kStreamName;
        so.Config.Durable = options_.durable.c_str();
        so.Config.AckPolicy = js_AckExplicit;
        so.Config.AckWait = absl::ToInt64Nanoseconds(options_.ack_wait);
        so.Config.DeliverPolicy = js_DeliverAll;
        so.Config.MaxAckPending = options_.batch * 4;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_PullSubscribe(&sub, bus_.jetstream(), options_.subject.c_str(),
                                        options_.durable.c_str(), nullptr, &so, &jerr);
        if (s != NATS_OK) {
          sub = nullptr;
          ready = NatsError(s, "pull subscribe " + options_.durable, jerr);
        }
      }
      if (!ready.ok()) {
        if (!warned) log::Warn("consumer waiting for NATS", {{"consumer", options_.durable},
                                                            {"error", std::string(ready.message())}});
        warned = true;
        absl::SleepFor(backoff);
        backoff = std::min(backoff * 2, absl::Seconds(2));
        continue;
      }
      warned = false;
      backoff = absl::Milliseconds(100);
    }
    natsMsgList list = {nullptr, 0};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub, options_.batch,
                                          absl::ToInt64Milliseconds(options_.fetch_wait), &jerr);
    if (s == NATS_TIMEOUT) {
      pending_ = 0;  // nothing came within fetch_wait: caught up
      continue;
    }
    if (s != NATS_OK) {
      // Disconnected or the consumer vanished (server restarted without its
      // store): resubscribe after a pause.
      natsMsgList_Destroy(&list);
      natsSubscription_Destroy(sub);
      sub = nullptr;
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    if (list.Count > 0) {
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, list.Msgs[list.Count - 1]) == NATS_OK) {
        pending_ = static_cast<int64_t>(meta->NumPending);
        jsMsgMetaData_Destroy(meta);
      }
    }
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* msg = list.Msgs[i];
      auto event =
          Event::FromJson(std::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
      if (!event.ok()) {
        log::Error("consumer dropped an unreadable event",
                   {{"consumer", options_.durable}, {"error", std::string(event.status().message())}});
        natsMsg_Term(msg, nullptr);
        continue;
      }
      absl::StatusOr<bool> applied = Apply(*event);
      if (applied.ok()) {
        natsMsg_Ack(msg, nullptr);
      } else if (applied.status().code() == absl::StatusCode::kInvalidArgument) {
        log::Error("consumer dropped an event it cannot apply",
                   {{"consumer", options_.durable}, {"event_id", event->id},
                    {"error", std::string(applied.status().message())}});
        natsMsg_Term(msg, nullptr);
      } else {
        log::Warn("consumer will retry an event",
                  {{"consumer", options_.durable}, {"event_id", event->id},
                   {"error", std::string(applied.status().message())}});
        natsMsg_NakWithDelay(msg, 1000, nullptr);
      }
    }
    natsMsgList_Destroy(&list);
  }
  if (sub != nullptr) natsSubscription_Destroy(sub);
}

}  // namespace messenger::bus
