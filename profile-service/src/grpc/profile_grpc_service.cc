#include "profile-service/src/grpc/profile_grpc_service.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "common/time_util.h"

namespace messenger::profile {
namespace {

void ToProto(const ProfileRecord& p, v1::Profile* out) {
  out->set_user_id(p.user_id);
  out->set_username(p.username);
  out->set_display_name(p.display_name);
  out->set_avatar_url(p.avatar_url);
  out->set_bio(p.bio);
  out->set_email_verified(p.email_verified);
  messenger::ToProto(p.updated_at, out->mutable_updated_at());
  out->set_version(p.version);
}

}  // namespace

grpc::ServerUnaryReactor* ProfileGrpcService::GetProfile(grpc::CallbackServerContext* context,
                                                         const v1::GetProfileRequest* request,
                                                         v1::Profile* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(ProfileRecord p, profiles_.Get(request->user_id()));
    ToProto(p, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProfileGrpcService::GetProfiles(grpc::CallbackServerContext* context,
                                                          const v1::GetProfilesRequest* request,
                                                          v1::GetProfilesResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    std::vector<std::string> ids(request->user_ids().begin(), request->user_ids().end());
    ASSIGN_OR_RETURN(std::vector<ProfileRecord> found, profiles_.GetMany(ids));
    for (const ProfileRecord& p : found) ToProto(p, response->add_profiles());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProfileGrpcService::UpdateProfile(grpc::CallbackServerContext* context,
                                                            const v1::UpdateProfileRequest* request,
                                                            v1::Profile* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ProfileChanges changes;
    if (request->has_display_name()) changes.display_name = request->display_name();
    if (request->has_avatar_url()) changes.avatar_url = request->avatar_url();
    if (request->has_bio()) changes.bio = request->bio();
    ASSIGN_OR_RETURN(ProfileRecord p, profiles_.Update(request->user_id(), changes));
    ToProto(p, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProfileGrpcService::SearchUsers(grpc::CallbackServerContext* context,
                                                          const v1::SearchUsersRequest* request,
                                                          v1::SearchUsersResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ProfileRecord> found,
                     profiles_.Search(request->query(), request->limit()));
    for (const ProfileRecord& p : found) ToProto(p, response->add_users());
    return absl::OkStatus();
  });
}

}  // namespace messenger::profile
