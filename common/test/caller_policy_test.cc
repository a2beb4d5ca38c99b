#include "common/grpc/caller_policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

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
  // One method of auth for the services that read an account's name.
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/GetUser", "messaging"), kOk);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/GetUser", "profile"), kOk);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/GetUser", "gateway"), kOk);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/GetUser", "contact"), kOk);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/GetUser", "session"), kDenied);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/GetUserX", "messaging"), kDenied);
  EXPECT_EQ(Code("/messenger.auth.v1.AuthService/Deactivate", "profile"), kDenied);
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

// A service added to a .proto without a rule would be refused to every
// caller under mTLS, and only a test run with mTLS would notice.
TEST(CallerPolicy, EveryServiceOfTheProtosHasARule) {
  int services = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(MESSENGER_SOURCE_DIR "/proto")) {
    if (entry.path().extension() != ".proto") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch package;
    ASSERT_TRUE(std::regex_search(text, package, std::regex(R"(\npackage ([\w.]+);)")))
        << entry.path();
    const std::regex service_line(R"(\nservice (\w+))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), service_line);
         it != std::sregex_iterator(); ++it) {
      const std::string service = package[1].str() + "." + (*it)[1].str();
      EXPECT_TRUE(HasCallerRule(service)) << service << " (" << entry.path() << ") has no rule";
      ++services;
    }
  }
  EXPECT_GE(services, 9) << "the scan found too few services: is the proto directory right?";
  EXPECT_FALSE(HasCallerRule("messenger.nothing.v1.NoService"));
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
