#include "common/bus/outbox.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status.h"

namespace messenger::bus {
namespace {

// While NATS is away, how often the relay checks whether it is back.
constexpr absl::Duration kReconnectPoll = absl::Milliseconds(50);

constexpr pg::Query kInsert{
    "outbox_insert", MESSENGER_OUTBOX_INSERT "VALUES ($1, $2, $3)"};
constexpr pg::Query kSelectBatch{
    "outbox_select_batch",
    "SELECT seq, event_id, subject, payload FROM outbox WHERE published_at IS NULL "
    "ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
    /*plan_each_time=*/true};
constexpr pg::Query kDeletePublished{"outbox_delete_published",
                                     "DELETE FROM outbox WHERE seq = ANY($1::bigint[])",
                                     /*plan_each_time=*/true};
constexpr pg::Query kDeleteByEventId{"outbox_delete_by_event_id",
                                     "DELETE FROM outbox WHERE event_id = ANY($1::uuid[]) RETURNING seq",
                                     /*plan_each_time=*/true};
constexpr pg::Query kMarkAttempt{"outbox_mark_attempt",
                                 "UPDATE outbox SET attempts = attempts + 1 WHERE seq = $1"};
constexpr pg::Query kCountPending{
    "outbox_count_pending",
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 "
    "FROM outbox WHERE published_at IS NULL"};
// How often the backlog gauges are refreshed from the table.
constexpr absl::Duration kCountInterval = absl::Seconds(10);

}  // namespace

absl::Status Outbox::Enqueue(pg::Tx& tx, const Event& event) const {
  RETURN_IF_ERROR(tx.Exec(kInsert, {event.id, event.type, event.ToJson()}).status());
  if (committed_) tx.AfterCommit([committed = committed_, event] { committed({event}); });
  return absl::OkStatus();
}

OutboxRelay::OutboxRelay(pg::Pool& pool, NatsBus& bus, Options options)
    : pool_(pool), bus_(bus), options_(std::move(options)) {
  lag_gauge_ = metrics::Registry::Default().AddGauge(
      "messenger_outbox_pending", "Outbox rows not yet published (last seen)",
      {{"service", options_.service}}, [this] { return double(pending_estimate_.load()); });
  age_gauge_ = metrics::Registry::Default().AddGauge(
      "messenger_outbox_oldest_age_seconds",
      "Age of the oldest unpublished outbox row (last seen; 0 when none)",
      {{"service", options_.service}}, [this] { return oldest_age_seconds_.load(); });
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

void OutboxRelay::Hand(std::vector<Event> events) {
  {
    std::lock_guard lock(mutex_);
    // Not stored while failing or full: the rows are in the table for the sweep.
    if (failing_ || handed_.size() + events.size() > options_.max_handed) return;
    for (Event& e : events) handed_.push_back(std::move(e));
  }
  wake_.notify_one();
}

absl::Status OutboxRelay::EnsureStream() {
  if (!stream_ready_) {
    RETURN_IF_ERROR(bus_.EnsureStream());
    stream_ready_ = true;
  }
  return absl::OkStatus();
}

absl::Status OutboxRelay::PublishHanded(const std::vector<Event>& events) {
  RETURN_IF_ERROR(EnsureStream());
  absl::StatusOr<std::vector<bool>> acked = bus_.PublishBatch(events);
  if (!acked.ok()) {
    stream_ready_ = false;
    return acked.status();
  }
  std::vector<std::string> done;
  for (size_t i = 0; i < acked->size(); ++i) {
    if ((*acked)[i]) done.push_back(events[i].id);
  }
  if (!done.empty()) {
    // Should this fail, the sweep publishes the rows again (deduplicated).
    // Rows a racing sweep already deleted were counted by it.
    ASSIGN_OR_RETURN(pg::Result deleted,
                     pool_.Exec(kDeleteByEventId, {absl::StrCat("{", absl::StrJoin(done, ","), "}")}));
    published_ += deleted.rows();
  }
  if (done.size() < events.size()) {
    stream_ready_ = false;
    return absl::UnavailableError("nats: publish not acknowledged");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> OutboxRelay::PublishBatch() {
  RETURN_IF_ERROR(EnsureStream());
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
  double age = 0;
  oldest_age_seconds_ = absl::SimpleAtod(count.GetString(0, 1), &age) ? age : 0;
  return absl::OkStatus();
}

void OutboxRelay::Run() {
  absl::Duration backoff = options_.min_backoff;
  absl::Time next_sweep = absl::Now();
  absl::Time next_count = absl::Now();
  while (true) {
    std::vector<Event> handed;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, absl::ToChronoTime(next_sweep),
                       [&] { return stopping_ || !handed_.empty(); });
      if (stopping_) break;
      while (!handed_.empty() && handed.size() < static_cast<size_t>(options_.batch_size)) {
        handed.push_back(std::move(handed_.front()));
        handed_.pop_front();
      }
    }
    const absl::Time round_start = absl::Now();
    absl::Status status = handed.empty() ? absl::OkStatus() : PublishHanded(handed);
    if (status.ok() && absl::Now() >= next_sweep) {
      absl::StatusOr<int> swept = PublishBatch();
      if (!swept.ok()) {
        status = swept.status();
      } else if (*swept == options_.batch_size) {
        next_sweep = absl::Now();  // more rows are waiting
      } else {
        pending_estimate_ = 0;
        oldest_age_seconds_ = 0;
        next_sweep = absl::Now() + options_.poll_interval;
      }
    }
    bool failing = false;
    {
      std::lock_guard lock(mutex_);
      if (!status.ok()) {
        if (!failing_) {
          log::Warn("outbox relay: publish failed, retrying with backoff",
                    {{"service", options_.service}, {"error", std::string(status.message())}});
        }
        failing_ = true;
        handed_.clear();  // their rows wait in the table for the sweep
      } else if (failing_) {
        log::Info("outbox relay: publishing again", {{"service", options_.service}});
        failing_ = false;
      }
      failing = failing_;
    }
    if (failing && !bus_.connected()) {
      // NATS is away: growing the backoff would only delay the first sweep
      // after its return (by up to max_backoff). Look again shortly instead.
      next_sweep = absl::Now() + kReconnectPoll;
      backoff = options_.min_backoff;
    } else if (failing) {
      next_sweep = absl::Now() + backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = options_.min_backoff;
    }
    if (absl::Now() >= next_count) {
      if (auto s = CountPending(); !s.ok()) {
        log::Warn("outbox: counting pending rows failed", {{"error", std::string(s.message())}});
      }
      next_count = absl::Now() + kCountInterval;
    }
    // Under load, let events pile up for a moment: one round trip for many.
    const absl::Duration early = round_start + options_.min_round_interval - absl::Now();
    if (!failing && early > absl::ZeroDuration()) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, absl::ToChronoNanoseconds(early), [&] { return stopping_; });
    }
  }
  // Drain what is already committed, without waiting for an absent NATS.
  std::vector<Event> handed;
  {
    std::lock_guard lock(mutex_);
    handed.assign(std::make_move_iterator(handed_.begin()), std::make_move_iterator(handed_.end()));
    handed_.clear();
  }
  if (!handed.empty() && !PublishHanded(handed).ok()) return;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<int> published = PublishBatch();
    if (!published.ok() || *published == 0) break;
  }
}

}  // namespace messenger::bus
