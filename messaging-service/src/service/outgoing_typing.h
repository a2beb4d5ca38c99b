// Typing and read receipts of this server's users in rooms with members on
// other servers, sent to those servers as m.typing and m.receipt EDUs.
// Typing is best effort like typing itself: in memory only
// (OutgoingSender::QueueEdu), and a room this replica has not loaded is
// skipped. Receipts load the room, but ride the same in-memory EDU queue: a
// read marker only moves forward and each new one supersedes the last, so a
// receipt lost with a failed transaction or a restart costs the remote side
// one stale marker until the user reads again, not a wrong one.
#pragma once

#include <optional>
#include <string>

#include "messaging-service/src/federation/outgoing_sender.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "messaging-service/src/writer/room_writer.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

// The m.typing EDU (server-server API, "Typing Notifications").
nlohmann::json TypingEdu(const std::string& room_id, const std::string& matrix_user_id,
                         bool typing);

// The m.receipt EDU for one m.read receipt (server-server API, "Receipts").
nlohmann::json ReceiptEdu(const std::string& room_id, const std::string& matrix_user_id,
                          const std::string& event_id, int64_t ts_ms);

// The Matrix id of a local user (a UUID); nullopt for a remote user or an
// unknown one (a lost lookup loses only a hint).
std::optional<std::string> LocalMatrixId(MessagingStore& store, const std::string& user_id,
                                         const std::string& server_name);

class OutgoingTyping {
 public:
  OutgoingTyping(MessagingStore& store, RoomWriter& writer, federation::OutgoingSender& sender,
                 std::string server_name)
      : store_(store), writer_(writer), sender_(sender), server_name_(std::move(server_name)) {}

  // `user_id` (a UUID) started or stopped typing in `room_id`. A remote
  // user's typing (heard from its server) is not sent back out.
  void Changed(const std::string& user_id, const std::string& room_id, bool typing);

 private:
  MessagingStore& store_;
  RoomWriter& writer_;
  federation::OutgoingSender& sender_;
  std::string server_name_;
};

class OutgoingReceipts {
 public:
  OutgoingReceipts(MessagingStore& store, RoomWriter& writer, federation::OutgoingSender& sender,
                   std::string server_name)
      : store_(store), writer_(writer), sender_(sender), server_name_(std::move(server_name)) {}

  // `user_id` (a UUID) read `room_id` up to `seq` at `at` (RoomWriter's
  // receipt sink). A remote user's receipt is not sent back out.
  void Advanced(const std::string& user_id, const std::string& room_id, int64_t seq,
                absl::Time at);

 private:
  MessagingStore& store_;
  RoomWriter& writer_;
  federation::OutgoingSender& sender_;
  std::string server_name_;
};

}  // namespace messenger::messaging
