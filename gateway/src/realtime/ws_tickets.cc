#include "gateway/src/realtime/ws_tickets.h"

namespace messenger::gateway {
namespace {

constexpr char kBadTicket[] = "missing, unknown, spent or expired WebSocket ticket";

}  // namespace

WsTickets::WsTickets(absl::Duration ttl, size_t max_tickets, const Clock& clock, Rng& rng)
    : ttl_(ttl), clock_(clock), rng_(rng), tickets_("gateway_ws_tickets", max_tickets) {}

std::string WsTickets::Issue(const Principal& principal) {
  std::string ticket = RandomToken(rng_);
  // Only the hash is kept: a memory dump does not hand out live tickets.
  tickets_.Put(Sha256(ticket), Entry{principal, clock_.Now() + ttl_});
  return ticket;
}

absl::StatusOr<Principal> WsTickets::Redeem(std::string_view ticket) {
  if (ticket.empty() || ticket.size() > 128) return absl::UnauthenticatedError(kBadTicket);
  const std::string key = Sha256(ticket);
  std::optional<Entry> entry = tickets_.Get(key);
  // Erase decides between two handshakes racing with the same ticket.
  if (!entry.has_value() || !tickets_.Erase(key) || clock_.Now() >= entry->expires) {
    return absl::UnauthenticatedError(kBadTicket);
  }
  return entry->principal;
}

}  // namespace messenger::gateway
