// The contact service's ApplyRemoteContact, for io.messenger.contact EDUs
// (issue 16), with a deadline.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/grpc/grpc_util.h"
#include "messaging-service/src/domain/contact_edu.h"
#include "messenger/contact/v1/contact.grpc.pb.h"

namespace messenger::messaging {

class GrpcRemoteContacts {
 public:
  GrpcRemoteContacts(grpcx::ChannelSource contact, absl::Duration timeout)
      : stub_(std::move(contact)), timeout_(timeout) {}
  // The contact service's answer; UNAVAILABLE when it cannot be reached.
  absl::Status Apply(const ContactClaim& claim);

 private:
  grpcx::LazyStub<contact::v1::ContactService> stub_;
  absl::Duration timeout_;
};

}  // namespace messenger::messaging
