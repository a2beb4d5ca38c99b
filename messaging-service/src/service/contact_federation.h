// Contacts across servers (issue 16), the IO around domain/contact_edu.h:
// a friendship event of a local user towards a user of another server
// queues an io.messenger.contact EDU for that server, in the consumer's
// transaction; an arriving one is handed to the contact service.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/bus/event.h"
#include "common/pg/pg.h"
#include "messaging-service/src/domain/contact_edu.h"
#include "messaging-service/src/federation/federation_room_store.h"
#include "messaging-service/src/federation/outgoing_store.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

class ContactFederation {
 public:
  // `apply`: the contact service's ApplyRemoteContact. `wake`: the outgoing
  // sender, after commit, for the destinations queued.
  using Apply = std::function<absl::Status(const ContactClaim&)>;
  using Wake = std::function<void(const std::vector<std::string>&)>;
  ContactFederation(federation::FederationRoomStore& rooms, MessagingStore& store,
                    federation::OutgoingStore& outgoing, std::string server_name, Apply apply,
                    Wake wake)
      : rooms_(rooms),
        store_(store),
        outgoing_(outgoing),
        server_name_(std::move(server_name)),
        apply_(std::move(apply)),
        wake_(std::move(wake)) {}

  // friendship.* in `tx`: the remote user's row, and the EDU when the local
  // user acted.
  absl::Status OnFriendshipEvent(const bus::Event& event, pg::Tx& tx);
  // An arriving EDU: UNAVAILABLE when the contact service cannot be reached
  // (the transaction answers 503, the origin retries); anything else it or
  // the claim's checks refuse is logged and ignored.
  absl::Status Receive(const std::string& origin, const nlohmann::json& content);

 private:
  federation::FederationRoomStore& rooms_;
  MessagingStore& store_;
  federation::OutgoingStore& outgoing_;
  std::string server_name_;
  Apply apply_;
  Wake wake_;
};

}  // namespace messenger::messaging
