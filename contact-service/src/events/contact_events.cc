#include "contact-service/src/events/contact_events.h"

#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::contact {

absl::StatusOr<std::optional<bus::Event>> FriendshipEvent(const Transition& transition,
                                                          const FriendshipParties& parties,
                                                          absl::Time at, const Clock& clock,
                                                          Rng& rng) {
  const std::string& actor = parties.actor;
  const std::string& other = parties.other;
  const std::string& remote = parties.remote_matrix_id;
  const std::string& low = actor < other ? actor : other;
  const std::string& high = actor < other ? other : actor;
  switch (transition.emit) {
    case Emit::kNone:
      return std::nullopt;
    case Emit::kCreated: {
      events::v1::FriendshipCreated data;
      data.set_requester_id(actor);
      data.set_addressee_id(other);
      data.set_remote_matrix_id(remote);
      ToProto(at, data.mutable_created_at());
      return bus::MakeEvent("friendship.created", kEventSource, data, clock, rng);
    }
    case Emit::kAccepted: {
      events::v1::FriendshipAccepted data;
      data.set_user_a(low);
      data.set_user_b(high);
      ToProto(at, data.mutable_accepted_at());
      data.set_accepted_by(parties.accepted_by.empty() ? actor : parties.accepted_by);
      data.set_remote_matrix_id(remote);
      return bus::MakeEvent("friendship.accepted", kEventSource, data, clock, rng);
    }
    case Emit::kRemoved: {
      events::v1::FriendshipRemoved data;
      data.set_user_a(low);
      data.set_user_b(high);
      data.set_removed_by(actor);
      data.set_remote_matrix_id(remote);
      ToProto(at, data.mutable_removed_at());
      return bus::MakeEvent("friendship.removed", kEventSource, data, clock, rng);
    }
  }
  return absl::InternalError("unknown friendship event");
}

}  // namespace messenger::contact
