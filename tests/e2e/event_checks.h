// Exactly-once checks of the events a whole system published: the stream is
// read with its headers once the outbox is empty and the relay idle, and again
// after a grace period, so a duplicate or stray event arriving late is seen.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/bus/nats_bus.h"

namespace messenger::e2e {

class MessengerProcess;

// One message of the MESSENGER_EVENTS stream as stored.
struct StoredEvent {
  uint64_t seq = 0;
  std::string subject;
  std::string msg_id;       // the Nats-Msg-Id header, "" when absent
  std::string traceparent;  // the traceparent header, "" when absent
  nlohmann::json envelope;  // the payload parsed (discarded when not JSON)
  bus::Event event;         // the envelope as the bus reads it
  bool parsed = false;      // whether `event` could be read
};

// Every message of the stream, in sequence order, headers included.
absl::StatusOr<std::vector<StoredEvent>> ReadStoredEvents(bus::NatsBus& bus);

// Rows waiting in the outbox tables of all the database's schemas.
absl::StatusOr<int64_t> PendingOutboxRows(const std::string& dsn);

// Problems with one event's envelope and its data against api.md: exact
// envelope keys, uuid id equal to Nats-Msg-Id, subject = type, source of the
// type's service, RFC 3339 UTC time within [not_before, not_after], trace id,
// and exactly the data fields api.md lists with RFC 3339 times.
std::vector<std::string> EnvelopeProblems(const StoredEvent& stored, absl::Time not_before,
                                          absl::Time not_after);

// Whether `value` is an RFC 3339 UTC time string ("...T...Z").
bool IsRfc3339Utc(const nlohmann::json& value);
// The time of an RFC 3339 string; InfinitePast when it is none.
absl::Time JsonTime(const nlohmann::json& value);

struct EventAudit {
  // The events found, by type, in stream order.
  std::map<std::string, std::vector<bus::Event>> by_type;
  // Empty when the stream holds exactly the expected events, once each.
  std::vector<std::string> problems;
};

struct AuditOptions {
  absl::Duration timeout = absl::Seconds(30);  // for the events and the outbox
  // Longer than the relay's sweep interval (500 ms), so that a republish by
  // the sweep would be in the second read.
  absl::Duration grace = absl::Milliseconds(1500);
  absl::Time not_before = absl::InfinitePast();  // earliest envelope time
  // Runs between the two reads (the checker's own tests inject late events).
  std::function<void()> between_reads;
};

// Waits until the stream holds at least `expected` (type -> count) events,
// the outbox tables are empty and the relay idle, reads the stream, waits the
// grace period and reads it again. Problems: an id seen twice, a type or
// count other than expected, a change between the reads, a bad envelope.
EventAudit AuditEvents(bus::NatsBus& bus, const std::string& dsn,
                       const std::map<std::string, int>& expected, AuditOptions options = {});
EventAudit AuditEvents(MessengerProcess& messenger, const std::map<std::string, int>& expected,
                       AuditOptions options = {});
// AuditEvents of `messenger` that fails the current test with the problems;
// returns the events by type. `not_before`: when the test started.
std::map<std::string, std::vector<bus::Event>> ExpectExactlyOnce(
    MessengerProcess& messenger, const std::map<std::string, int>& expected, absl::Time not_before);

}  // namespace messenger::e2e
