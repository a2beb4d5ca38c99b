// Typing of this server's users in rooms with members on other servers, sent
// to those servers as m.typing EDUs. Best effort like typing itself: in
// memory only (OutgoingSender::QueueEdu), and a room this replica has not
// loaded is skipped.
#pragma once

#include <string>

#include "messaging-service/src/federation/outgoing_sender.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "messaging-service/src/writer/room_writer.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

// The m.typing EDU (server-server API, "Typing Notifications").
nlohmann::json TypingEdu(const std::string& room_id, const std::string& matrix_user_id,
                         bool typing);

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

}  // namespace messenger::messaging
