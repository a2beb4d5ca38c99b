// Federation settings (MESSENGER_FEDERATION_*, MESSENGER_MATRIX_SIGNING_KEY_FILE).
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config.h"

namespace messenger::federation {

// The outgoing sender (outgoing_sender.h).
struct SenderOptions {
  absl::Duration poll = absl::Milliseconds(250);
  absl::Duration backoff_base = absl::Seconds(1);
  absl::Duration backoff_max = absl::Minutes(5);
  int max_pdus = 50;  // per transaction (the spec's limit)
  int max_edus = 100;  // per transaction (the spec's limit)
  // EDUs (typing: best effort, in memory) waiting per destination; beyond it
  // the oldest are dropped (counted).
  size_t edu_queue_limit = 1'000;
  // Queued PDUs per destination; beyond it the oldest are dropped (counted):
  // the destination can fetch them with get_missing_events / backfill.
  int64_t queue_limit = 100'000;
  absl::Duration lease = absl::Seconds(60);  // longer than any request
};

struct FederationConfig {
  // Synapse-format signing key ("ed25519 <version> <base64 seed>"), e.g. a
  // mounted Secret; empty: a key generated once and kept in the database.
  std::string signing_key_file;
  // valid_until_ts of our key document: now + this.
  absl::Duration key_validity = absl::Hours(24);
  // Server name -> "host:port", bypassing discovery (tests, private setups).
  std::map<std::string, std::string> hosts;
  // Plain HTTP to other servers instead of TLS (tests only).
  bool insecure_http = false;
  // Origins allowed to call us; empty = every server.
  std::set<std::string> domain_whitelist;
  // Bounds of one outgoing request.
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration request_timeout = absl::Seconds(3);
  size_t max_response_bytes = 1 << 20;
  // Remote key documents and /.well-known answers kept in memory.
  size_t cache_entries = 10'000;
  // The outgoing sender: poll, backoff, transaction and queue bounds.
  SenderOptions sender;

  static FederationConfig FromEnv(EnvReader& env);
};

// "a=h:1,b=h:2" -> {a: "h:1", b: "h:2"}; InvalidArgument on a bad entry.
absl::StatusOr<std::map<std::string, std::string>> ParseHostMap(absl::string_view text);

}  // namespace messenger::federation
