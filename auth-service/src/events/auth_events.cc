#include "auth-service/src/events/auth_events.h"

#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::auth {

absl::StatusOr<bus::Event> UserCreatedEvent(const UserRecord& user, const Clock& clock, Rng& rng) {
  events::v1::UserCreated data;
  data.set_user_id(user.user_id);
  data.set_username(user.username);
  data.set_email(user.email);
  ToProto(user.created_at, data.mutable_created_at());
  return bus::MakeEvent("user.created", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> UserEmailVerifiedEvent(const VerifiedEmail& verified, absl::Time at,
                                                  const Clock& clock, Rng& rng) {
  events::v1::UserEmailVerified data;
  data.set_user_id(verified.user_id);
  data.set_email(verified.email);
  ToProto(at, data.mutable_verified_at());
  return bus::MakeEvent("user.email_verified", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> UserDeactivatedEvent(const std::string& user_id, bool erase,
                                                absl::Time at, const Clock& clock, Rng& rng) {
  events::v1::UserDeactivated data;
  data.set_user_id(user_id);
  data.set_erase(erase);
  ToProto(at, data.mutable_deactivated_at());
  return bus::MakeEvent("user.deactivated", kEventSource, data, clock, rng);
}

}  // namespace messenger::auth
