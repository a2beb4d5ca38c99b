#include "messaging-service/src/grpc/remote_contacts_client.h"

#include "common/status_mapping.h"

namespace messenger::messaging {

absl::Status GrpcRemoteContacts::Apply(const ContactClaim& claim) {
  contact::v1::ApplyRemoteContactRequest request;
  request.set_local_matrix_id(claim.local_matrix_id);
  request.set_remote_matrix_id(claim.remote_matrix_id);
  request.set_action(claim.action == "request"  ? contact::v1::REMOTE_CONTACT_ACTION_REQUEST
                     : claim.action == "accept" ? contact::v1::REMOTE_CONTACT_ACTION_ACCEPT
                                                : contact::v1::REMOTE_CONTACT_ACTION_REMOVE);
  contact::v1::ApplyRemoteContactResponse response;
  auto context = grpcx::NewClientContext(timeout_);
  grpc::Status status = stub_.get().ApplyRemoteContact(context.get(), request, &response);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError("the contact service did not answer in time");
  }
  return FromGrpcStatus(status);
}

}  // namespace messenger::messaging
