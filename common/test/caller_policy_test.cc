#include "common/grpc/caller_policy.h"

#include <gtest/gtest.h>

namespace messenger::grpcx {
namespace {

absl::StatusCode Code(std::string_view method, std::optional<std::string> caller) {
  return CheckCaller(method, caller).code();
}

TEST(CallerPolicy, EachServiceAcceptsOnlyItsCallers) {
  constexpr auto kOk = absl::StatusCode::kOk;
  constexpr auto kDenied = absl::StatusCode::kPermissionDenied;
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/Login", "gateway"), kOk);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/Login", "messaging"), kDenied);
  EXPECT_EQ(Code("/messenger.session.v1.SessionService/Create", "auth"), kOk);
  EXPECT_EQ(Code("/messenger.session.v1.SessionService/Create", "gateway"), kOk);
  EXPECT_EQ(Code("/messenger.session.v1.SessionService/Create", "profile"), kDenied);
  EXPECT_EQ(Code("/messenger.profile.v1.ProfileService/Get", "gateway"), kOk);
  EXPECT_EQ(Code("/messenger.profile.v1.ProfileService/Get", "contact"), kDenied);
  EXPECT_EQ(Code("/messenger.contact.v1.ContactService/IsFriend", "messaging"), kOk);
  EXPECT_EQ(Code("/messenger.contact.v1.ContactService/IsFriend", "auth"), kDenied);
  EXPECT_EQ(Code("/messenger.messaging.v1.MessagingService/Send", "gateway"), kOk);
  EXPECT_EQ(Code("/messenger.messaging.v1.MessagingService/Send", "messaging"), kOk);
  EXPECT_EQ(Code("/messenger.messaging.v1.MessagingService/Send", "profile"), kDenied);
  EXPECT_EQ(Code("/messenger.federation.v1.FederationService/GetKeys", "gateway"), kOk);
  EXPECT_EQ(Code("/messenger.federation.v1.FederationService/GetKeys", "messaging"), kDenied);
}

TEST(CallerPolicy, HealthIsOpenToAnyAuthenticatedPeerAndTheRestIsClosed) {
  EXPECT_TRUE(CheckCaller("/grpc.health.v1.Health/Check", std::nullopt).ok());
  EXPECT_TRUE(CheckCaller("/grpc.health.v1.Health/Check", "profile").ok());
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/Login", std::nullopt),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "gateway"),
            absl::StatusCode::kPermissionDenied);
  for (const char* bad : {"", "/", "//Login", "messenger.auth.v1.AuthService/Login",
                          "/messenger.auth.v1.AuthService"}) {
    EXPECT_EQ(Code(bad, "gateway"), absl::StatusCode::kPermissionDenied) << bad;
  }
}

TEST(CallerPolicy, DenialSaysWhoMayCall) {
  const absl::Status denied =
      CheckCaller("/messenger.messaging.v1.MessagingService/Send", "profile");
  EXPECT_NE(denied.message().find("profile may not call messenger.messaging.v1.MessagingService"),
            std::string::npos)
      << denied;
  EXPECT_NE(denied.message().find("gateway, messaging"), std::string::npos) << denied;
}

TEST(CallerPolicy, CallerNameIsTheOneLabelBeforeTheIdentityDomain) {
  EXPECT_EQ(IdentityName("gateway"), "gateway.messenger.svc");
  EXPECT_EQ(CallerName({"gateway.messenger.svc"}), "gateway");
  EXPECT_EQ(CallerName({"gateway-service", "messaging.messenger.svc"}), "messaging");
  EXPECT_EQ(CallerName({}), std::nullopt);
  EXPECT_EQ(CallerName({"gateway.messenger.svc.evil.org"}), std::nullopt);
  EXPECT_EQ(CallerName({"x.gateway.messenger.svc"}), std::nullopt);
  EXPECT_EQ(CallerName({".messenger.svc"}), std::nullopt);
  EXPECT_EQ(CallerName({"gateway.other.svc"}), std::nullopt);
}

}  // namespace
}  // namespace messenger::grpcx
