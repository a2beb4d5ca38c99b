#include "common/bus/outbox.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status.h"

namespace messenger::bus {
namespace {

constexpr pg::Query kInsert{
    "outbox_insert", "INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)"};
constexpr pg::Query kSelectBatch{
    "outbox_select_batch",
    "SELECT seq, event_id, subject, payload FROM outbox WHERE published_at IS NULL "
    "ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"};
constexpr pg::Query kDeletePublished{"outbox_delete_published",
                                     "DELETE FROM outbox WHERE seq = ANY($1::bigint[])"};
constexpr pg::Query kMarkAttempt{"outbox_mark_attempt",
                                 "UPDATE outbox SET attempts = attempts + 1 WHERE seq = $1"};
constexpr pg::Query kCountPending{"outbox_count_pending",
                                  "SELECT count(*) FROM outbox WHERE published_at IS NULL"};

}  // namespace

absl::Status Outbox::Enqueue(pg::Tx& tx, const Event& event) const {
  RETURN_IF_ERROR(tx.Exec(kInsert, {event.id, event.type, event.ToJson()}).status());
  if (wake_) tx.AfterCommit(wake_);
  return absl::OkStatus();
}

OutboxRelay::OutboxRelay(pg::Pool& pool, NatsBus& bus, Options options)
    : pool_(pool), bus_(bus), options_(std::move(options)) {
  lag_gauge_ = metrics::Registry::Default().AddGauge(
      "messenger_outbox_pending", "Outbox rows not yet published (last seen)",
      {{"service", options_.service}}, [this] { return double(pending_estimate_.load()); });
}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void OutboxRelay::Notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

absl::StatusOr<int> OutboxRelay::PublishBatch() {
  if (!stream_ready_) {
    RETURN_IF_ERROR(bus_.EnsureStream());
    stream_ready_ = true;
  }
  int published = 0;
  absl::Status publish_error;
  absl::Status status = pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    published = 0;
    publish_error = absl::OkStatus();
    ASSIGN_OR_RETURN(pg::Result rows, tx.Exec(kSelectBatch, {options_.batch_size}));
    std::vector<std::string> done;
    std::vector<Event> events;
    std::vector<std::string> seqs;
    for (int i = 0; i < rows.rows(); ++i) {
      auto parsed = Event::FromJson(rows.Get(i, 3));
      if (!parsed.ok()) {
        // Written by our own code, so this is a bug; keep the row for a human.
        log::Error("outbox row unreadable", {{"seq", rows.GetString(i, 0)},
                                             {"error", std::string(parsed.status().message())}});
        RETURN_IF_ERROR(tx.Exec(kMarkAttempt, {rows.GetString(i, 0)}).status());
        break;
      }
      events.push_back(std::move(*parsed));
      seqs.push_back(rows.GetString(i, 0));
    }
    if (!events.empty()) {
      // All in flight at once; the acks decide which rows are sent.
      absl::StatusOr<std::vector<bool>> acked = bus_.PublishBatch(events);
      if (!acked.ok()) {
        publish_error = acked.status();
      } else {
        for (size_t i = 0; i < acked->size(); ++i) {
          if ((*acked)[i]) {
            done.push_back(seqs[i]);
          } else if (publish_error.ok()) {
            publish_error = absl::UnavailableError("nats: publish not acknowledged");
          }
        }
      }
      if (!publish_error.ok() && done.size() < seqs.size()) {
        RETURN_IF_ERROR(tx.Exec(kMarkAttempt, {seqs[done.size()]}).status());
      }
    }
    if (!done.empty()) {
      RETURN_IF_ERROR(
          tx.Exec(kDeletePublished, {absl::StrCat("{", absl::StrJoin(done, ","), "}")}).status());
    }
    published = static_cast<int>(done.size());
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(status);
  published_ += published;
  if (!publish_error.ok()) {
    stream_ready_ = false;  // the server may have restarted without our stream
    return publish_error;
  }
  return published;
}

absl::Status OutboxRelay::CountPending() {
  ASSIGN_OR_RETURN(pg::Result count, pool_.Exec(kCountPending));
  pending_estimate_ = count.GetInt64(0, 0);
  return absl::OkStatus();
}

void OutboxRelay::Run() {
  absl::Duration backoff = options_.min_backoff;
  absl::Time next_count = absl::Now();
  bool failing = false;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    const absl::Time round_start = absl::Now();
    absl::StatusOr<int> published = PublishBatch();
    absl::Duration wait = options_.poll_interval;
    if (!published.ok()) {
      if (!failing) {
        log::Warn("outbox relay: publish failed, retrying with backoff",
                  {{"service", options_.service}, {"error", std::string(published.status().message())}});
      }
      failing = true;
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      if (failing) log::Info("outbox relay: publishing again", {{"service", options_.service}});
      failing = false;
      backoff = options_.min_backoff;
      if (*published == options_.batch_size) {
        wait = absl::ZeroDuration();
      } else {
        pending_estimate_ = 0;  // drained
      }
    }
    if (absl::Now() >= next_count) {
      if (auto s = CountPending(); !s.ok()) {
        log::Warn("outbox: counting pending rows failed", {{"error", std::string(s.message())}});
      }
      next_count = absl::Now() + absl::Minutes(1);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, absl::ToChronoNanoseconds(wait),
                   [&] { return stopping_ || (notified_ && !failing); });
    notified_ = false;
    // Under load, let rows pile up for a moment: one round trip for many.
    const absl::Duration early = round_start + options_.min_round_interval - absl::Now();
    if (!failing && early > absl::ZeroDuration()) {
      wake_.wait_for(lock, absl::ToChronoNanoseconds(early), [&] { return stopping_; });
    }
  }
  // Drain what is already committed, without waiting for an absent NATS.
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<int> published = PublishBatch();
    if (!published.ok() || *published == 0) break;
  }
}

}  // namespace messenger::bus
