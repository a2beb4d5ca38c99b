// Client events as JSON text, for answers that carry many of them (sync).
// Parsing each PDU and re-dumping the answer tree was most of an initial
// sync's gateway time; here an event's client form is made once and kept
// per event id (bounded), and only unsigned (age, transaction id) is
// rendered per answer. The text is what ClientEvent() dumps, byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/lru_cache.h"
#include "messenger/messaging/v1/messaging.pb.h"

namespace messenger::gateway::matrix {

class ClientEventText {
 public:
  explicit ClientEventText(size_t capacity);

  // Appends the client event of `event` to `out`. INTERNAL when the PDU is
  // not a JSON object (messaging stored it checked).
  absl::Status Append(const messaging::v1::MatrixEvent& event, int64_t now_ms, std::string& out);
  // `[event,...]`.
  absl::Status AppendArray(
      const google::protobuf::RepeatedPtrField<messaging::v1::MatrixEvent>& events, int64_t now_ms,
      std::string& out);

 private:
  struct Rendered;
  absl::StatusOr<std::shared_ptr<const Rendered>> Render(const messaging::v1::MatrixEvent& event);

  // A redaction rewrites a stored PDU under the same id: an entry serves
  // only the exact PDU it was made from.
  LruCache<std::string, std::shared_ptr<const Rendered>> cache_;
};

}  // namespace messenger::gateway::matrix
