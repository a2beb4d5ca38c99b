#include "session-service/src/events/session_events.h"

#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::session {

absl::StatusOr<bus::Event> SessionCreatedEvent(const std::string& session_id,
                                               const std::string& user_id,
                                               const std::string& device_name, absl::Time at,
                                               const Clock& clock, Rng& rng) {
  events::v1::SessionCreated data;
  data.set_session_id(session_id);
  data.set_user_id(user_id);
  data.set_device_name(device_name);
  ToProto(at, data.mutable_created_at());
  return bus::MakeEvent("session.created", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> SessionRevokedEvent(const std::string& session_id,
                                               const std::string& user_id, RevokeReason reason,
                                               absl::Time at, const Clock& clock, Rng& rng) {
  events::v1::SessionRevoked data;
  data.set_session_id(session_id);
  data.set_user_id(user_id);
  data.set_reason(std::string(RevokeReasonName(reason)));
  ToProto(at, data.mutable_revoked_at());
  return bus::MakeEvent("session.revoked", kEventSource, data, clock, rng);
}

}  // namespace messenger::session
