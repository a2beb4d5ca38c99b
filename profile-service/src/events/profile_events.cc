#include "profile-service/src/events/profile_events.h"

#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::profile {

absl::StatusOr<bus::Event> ProfileUpdatedEvent(const ProfileRecord& profile, const Clock& clock,
                                               Rng& rng) {
  events::v1::ProfileUpdated data;
  data.set_user_id(profile.user_id);
  data.set_display_name(profile.display_name);
  data.set_avatar_url(profile.avatar_url);
  data.set_bio(profile.bio);
  ToProto(profile.updated_at, data.mutable_updated_at());
  return bus::MakeEvent("profile.updated", kEventSource, data, clock, rng);
}

}  // namespace messenger::profile
