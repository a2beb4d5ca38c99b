#include "messaging-service/src/federation/outgoing_sender.h"

#include <algorithm>
#include <cstdint>

#include "common/log.h"
#include "common/status.h"
#include "messaging-service/src/federation/send_backoff.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {
namespace {

double Uniform(Rng& rng) {
  uint32_t bits = 0;
  rng.Fill(&bits, sizeof bits);
  return bits / 4294967296.0;
}

}  // namespace

OutgoingSender::OutgoingSender(OutgoingStore& store, FederationClient& client, std::string origin,
                               Rng& rng, SenderOptions options)
    : store_(store),
      client_(client),
      origin_(std::move(origin)),
      rng_(rng),
      options_(options),
      owner_(NewUuid(rng)),
      sent_(metrics::Registry::Default().GetCounter(
          "messenger_federation_transactions_sent_total",
          "Outgoing federation transactions answered 200.")),
      failed_(metrics::Registry::Default().GetCounter(
          "messenger_federation_transactions_failed_total",
          "Outgoing federation transactions that failed (retried after a backoff).")),
      refused_(metrics::Registry::Default().GetCounter(
          "messenger_federation_transactions_refused_total",
          "Outgoing federation transactions a destination refused with a 4xx (dropped).")),
      edus_dropped_(metrics::Registry::Default().GetCounter(
          "messenger_federation_edus_dropped_total",
          "Outgoing EDUs dropped: over a destination's EDU limit or in a failed transaction.")),
      dropped_(metrics::Registry::Default().GetCounter(
          "messenger_federation_pdus_dropped_total",
          "Queued PDUs dropped because a destination's queue passed its limit.")) {
  auto& registry = metrics::Registry::Default();
  depth_gauge_ =
      registry.AddGauge("messenger_federation_queue_depth", "PDUs queued for other servers.",
                        {{"owner", owner_}}, [this] { return static_cast<double>(depth_.load()); });
  max_depth_gauge_ = registry.AddGauge(
      "messenger_federation_queue_max_depth", "PDUs queued for the destination with the most.",
      {{"owner", owner_}}, [this] { return static_cast<double>(max_depth_.load()); });
  backoff_gauge_ =
      registry.AddGauge("messenger_federation_backoff_destinations",
                        "Destinations with queued PDUs waiting out a backoff.", {{"owner", owner_}},
                        [this] { return static_cast<double>(backing_off_.load()); });
}

void OutgoingSender::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OutgoingSender::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutgoingSender::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    woken_ = false;  // a wake during the pass makes another one
    const absl::Time now = absl::Now();
    std::erase_if(retry_at_, [&](const auto& entry) { return entry.second <= now; });
    lock.unlock();
    if (absl::Status status = SendOnce(); !status.ok()) {
      log::Warn("federation sender", {{"error", std::string(status.message())}});
    }
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll),
                   [&] { return stopping_ || woken_; });
  }
}

void OutgoingSender::QueueEdu(const std::vector<std::string>& destinations,
                              const nlohmann::json& edu) {
  if (destinations.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& d : destinations) {
      std::deque<nlohmann::json>& queue = edus_[d];
      queue.push_back(edu);
      if (queue.size() > options_.edu_queue_limit) {
        queue.pop_front();
        edus_dropped_.Inc();
      }
    }
  }
  Wake(destinations);
}

std::vector<nlohmann::json> OutgoingSender::TakeEdus(const std::string& destination,
                                                     size_t max) {
  std::lock_guard lock(mutex_);
  auto it = edus_.find(destination);
  if (it == edus_.end()) return {};
  std::vector<nlohmann::json> out;
  while (!it->second.empty() && out.size() < max) {
    out.push_back(std::move(it->second.front()));
    it->second.pop_front();
  }
  if (it->second.empty()) edus_.erase(it);
  return out;
}

void OutgoingSender::Wake(const std::vector<std::string>& destinations) {
  {
    std::lock_guard lock(mutex_);
    const absl::Time now = absl::Now();
    for (const std::string& d : destinations) {
      auto it = retry_at_.find(d);
      if (it == retry_at_.end() || it->second <= now) woken_ = true;
    }
    if (!woken_) return;
  }
  wake_.notify_all();
}

absl::Status OutgoingSender::SendOnce() {
  ASSIGN_OR_RETURN(std::vector<QueuedDestination> destinations, store_.Destinations());
  int64_t depth = 0, max_depth = 0, backing_off = 0;
  for (const QueuedDestination& d : destinations) {
    depth += d.depth;
    max_depth = std::max(max_depth, d.depth);
    if (!d.ready) ++backing_off;
  }
  depth_ = depth;
  max_depth_ = max_depth;
  backing_off_ = backing_off;
  for (const QueuedDestination& d : destinations) {
    if (d.depth > options_.queue_limit) {
      ASSIGN_OR_RETURN(int64_t dropped, store_.Trim(d.destination, options_.queue_limit));
      dropped_.Inc(static_cast<double>(dropped));
      log::Warn("federation queue over its limit: oldest PDUs dropped",
                {{"destination", d.destination}, {"dropped", dropped}});
    }
    // One slow destination delays the others by at most its request timeout.
    if (d.ready) RETURN_IF_ERROR(SendTo(d.destination));
  }
  // Destinations with EDUs only (none queued in the database), unless this
  // process saw them fail and their retry is not due.
  std::vector<std::string> edus_only;
  {
    std::lock_guard lock(mutex_);
    const absl::Time now = absl::Now();
    for (const auto& [destination, queue] : edus_) {
      auto failed = retry_at_.find(destination);
      if (failed != retry_at_.end() && failed->second > now) continue;
      if (std::none_of(destinations.begin(), destinations.end(),
                       [&](const QueuedDestination& d) { return d.destination == destination; })) {
        edus_only.push_back(destination);
      }
    }
  }
  for (const std::string& destination : edus_only) RETURN_IF_ERROR(SendTo(destination));
  return absl::OkStatus();
}

absl::Status OutgoingSender::SendTo(const std::string& destination) {
  ASSIGN_OR_RETURN(std::optional<OutgoingTxn> txn,
                   store_.Claim(destination, owner_, options_.lease, options_.max_pdus));
  // A retried transaction is resent as it was (same txnId, same content).
  std::vector<nlohmann::json> edus;
  // Persisted EDUs count toward the transaction's limit.
  const size_t max_edus = static_cast<size_t>(options_.max_edus);
  const size_t room = max_edus - (txn ? std::min(txn->edus.size(), max_edus) : 0);
  if (!txn || txn->failures == 0) edus = TakeEdus(destination, room);
  // No PDUs (another replica's, backing off, or empty): EDUs go alone, under
  // a txnId of their own (not persisted: a retry of PDUs keeps its txnId).
  if (!txn && edus.empty()) return absl::OkStatus();
  if (!txn) txn = OutgoingTxn{.txn_id = "e" + NewUuid(rng_)};
  nlohmann::json body = {{"origin", origin_},
                         {"origin_server_ts", absl::ToUnixMillis(absl::Now())},
                         {"pdus", nlohmann::json::array()},
                         {"edus", std::move(edus)}};
  for (const std::string& pdu : txn->pdus) {
    nlohmann::json parsed = nlohmann::json::parse(pdu, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) body["pdus"].push_back(std::move(parsed));
  }
  // Persisted EDUs (to-device) stay in the transaction, retried with it.
  for (const std::string& edu : txn->edus) {
    nlohmann::json parsed = nlohmann::json::parse(edu, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) body["edus"].push_back(std::move(parsed));
  }
  absl::StatusOr<HttpReply> reply = client_.Request(
      "PUT", destination, "/_matrix/federation/v1/send/" + txn->txn_id, body, /*sign=*/true);
  if (reply.ok() && reply->status == 200) {
    // Per-PDU errors in the answer are the destination's verdicts: not retried.
    sent_.Inc();
    {
      std::lock_guard lock(mutex_);
      retry_at_.erase(destination);
    }
    return store_.Delivered(destination, txn->txn_id);
  }
  if (reply.ok() && RefusedForGood(reply->status)) {
    // Retrying would only repeat the refusal and hold back everything queued
    // behind it; the destination can still fetch these events.
    refused_.Inc();
    log::Warn("federation transaction refused: dropped",
              {{"destination", destination},
               {"txn_id", txn->txn_id},
               {"status", static_cast<int64_t>(reply->status)},
               {"pdus", static_cast<int64_t>(txn->pdus.size())}});
    return store_.Delivered(destination, txn->txn_id);
  }
  failed_.Inc();
  // EDUs are hints of the moment: not kept for the retry.
  edus_dropped_.Inc(static_cast<double>(body["edus"].size() - txn->edus.size()));
  const absl::Duration delay =
      SendBackoff(txn->failures + 1, options_.backoff_base, options_.backoff_max, Uniform(rng_));
  log::Info("federation transaction failed",
            {{"destination", destination},
             {"txn_id", txn->txn_id},
             {"error", reply.ok() ? "HTTP " + std::to_string(reply->status)
                                  : std::string(reply.status().message())},
             {"retry_in_ms", absl::ToInt64Milliseconds(delay)}});
  {
    std::lock_guard lock(mutex_);
    retry_at_[destination] = absl::Now() + delay;
  }
  return store_.Failed(destination, delay);
}

}  // namespace messenger::federation
