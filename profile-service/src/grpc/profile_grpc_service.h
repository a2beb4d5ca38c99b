// gRPC adapter of the profile service: proto <-> ProfileManager.
#pragma once

#include "common/grpc/work_pool.h"
#include "messenger/profile/v1/profile.grpc.pb.h"
#include "profile-service/src/service/profile_manager.h"

namespace messenger::profile {

class ProfileGrpcService final : public v1::ProfileService::CallbackService {
 public:
  ProfileGrpcService(ProfileManager& profiles, grpcx::WorkPool& pool)
      : profiles_(profiles), pool_(pool) {}

  grpc::ServerUnaryReactor* GetProfile(grpc::CallbackServerContext* context,
                                       const v1::GetProfileRequest* request,
                                       v1::Profile* response) override;
  grpc::ServerUnaryReactor* GetProfiles(grpc::CallbackServerContext* context,
                                        const v1::GetProfilesRequest* request,
                                        v1::GetProfilesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateProfile(grpc::CallbackServerContext* context,
                                          const v1::UpdateProfileRequest* request,
                                          v1::Profile* response) override;
  grpc::ServerUnaryReactor* SearchUsers(grpc::CallbackServerContext* context,
                                        const v1::SearchUsersRequest* request,
                                        v1::SearchUsersResponse* response) override;

 private:
  ProfileManager& profiles_;
  grpcx::WorkPool& pool_;
};

}  // namespace messenger::profile
