#include "messaging-service/src/federation/outgoing_sender.h"

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
    lock.unlock();
    if (absl::Status status = SendOnce(); !status.ok()) {
      log::Warn("federation sender", {{"error", std::string(status.message())}});
    }
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll), [&] { return stopping_; });
  }
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
  return absl::OkStatus();
}

absl::Status OutgoingSender::SendTo(const std::string& destination) {
  ASSIGN_OR_RETURN(std::optional<OutgoingTxn> txn,
                   store_.Claim(destination, owner_, options_.lease, options_.max_pdus));
  if (!txn) return absl::OkStatus();  // another replica's, backing off, or empty
  nlohmann::json body = {{"origin", origin_},
                         {"origin_server_ts", absl::ToUnixMillis(absl::Now())},
                         {"pdus", nlohmann::json::array()},
                         {"edus", nlohmann::json::array()}};
  for (const std::string& pdu : txn->pdus) {
    nlohmann::json parsed = nlohmann::json::parse(pdu, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) body["pdus"].push_back(std::move(parsed));
  }
  absl::StatusOr<HttpReply> reply = client_.Request(
      "PUT", destination, "/_matrix/federation/v1/send/" + txn->txn_id, body, /*sign=*/true);
  if (reply.ok() && reply->status == 200) {
    // Per-PDU errors in the answer are the destination's verdicts: not retried.
    sent_.Inc();
    return store_.Delivered(destination, txn->txn_id);
  }
  failed_.Inc();
  const absl::Duration delay =
      SendBackoff(txn->failures + 1, options_.backoff_base, options_.backoff_max, Uniform(rng_));
  log::Info("federation transaction failed",
            {{"destination", destination},
             {"txn_id", txn->txn_id},
             {"error", reply.ok() ? "HTTP " + std::to_string(reply->status)
                                  : std::string(reply.status().message())},
             {"retry_in_ms", absl::ToInt64Milliseconds(delay)}});
  return store_.Failed(destination, delay);
}

}  // namespace messenger::federation
