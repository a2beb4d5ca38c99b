// Split mode over mutual TLS: a partial MESSENGER_GRPC_TLS_* set refuses to
// start; certificates made at test time by
// k8s/scripts/make-grpc-certs.sh, each process with its own
// (MESSENGER_GRPC_TLS_*). Register, login, befriend and send cross every
// internal call (gateway -> each service, auth -> session, messaging ->
// contact); then, at messaging's port: a plaintext client and a client whose
// certificate another CA signed are refused, profile's certificate (a valid
// one, but not a caller of messaging) gets PERMISSION_DENIED before any user
// id in its request is read, and the gateway's succeeds; at auth's port,
// messaging's, profile's and contact's certificates may call GetUser and
// nothing else.
#include <sys/wait.h>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "messenger/auth/v1/auth.grpc.pb.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Certificates for `names` under the CA in `dir` (made when missing).
void MakeCerts(const std::string& dir, const std::string& names) {
  const std::string command =
      absl::StrCat("bash ", MESSENGER_SOURCE_DIR, "/k8s/scripts/make-grpc-certs.sh ", dir, " ",
                   names, " >", dir, ".log 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << Read(dir + ".log");
}

std::map<std::string, std::string> TlsEnv(const std::string& certs, const std::string& name) {
  return {{"MESSENGER_GRPC_TLS_CERT", absl::StrCat(certs, "/", name, ".crt")},
          {"MESSENGER_GRPC_TLS_KEY", absl::StrCat(certs, "/", name, ".key")},
          {"MESSENGER_GRPC_TLS_CA", certs + "/ca.crt"}};
}

// A channel to `server` at `port` presenting `name`'s certificate from
// `client_certs`, trusting the CA of `server_certs`.
std::shared_ptr<grpc::Channel> ChannelAs(const std::string& client_certs, const std::string& name,
                                         const std::string& server_certs,
                                         const std::string& server, int port) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(absl::StrCat(server, ".messenger.svc"));
  auto credentials =
      grpc::SslCredentials({.pem_root_certs = Read(server_certs + "/ca.crt"),
                            .pem_private_key = Read(client_certs + "/" + name + ".key"),
                            .pem_cert_chain = Read(client_certs + "/" + name + ".crt")});
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), credentials, args);
}

// A messaging client presenting `name`'s certificate.
std::unique_ptr<messaging::v1::MessagingService::Stub> ClientAs(const std::string& client_certs,
                                                                const std::string& name,
                                                                const std::string& server_certs,
                                                                int port) {
  return messaging::v1::MessagingService::NewStub(
      ChannelAs(client_certs, name, server_certs, "messaging", port));
}

std::unique_ptr<grpc::ClientContext> TenSeconds() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

// `user_id`'s conversations as `stub` reads them (their count in `count`).
grpc::Status ListConversations(messaging::v1::MessagingService::Stub& stub,
                               const std::string& user_id, int* count) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  messaging::v1::ListConversationsRequest request;
  request.set_user_id(user_id);
  messaging::v1::ListConversationsResponse response;
  grpc::Status status = stub.ListConversations(&context, request, &response);
  *count = response.conversations_size();
  return status;
}

TEST(GrpcTlsE2eTest, ServicesTalkOverMutualTlsAndAcceptOnlyTheirCallers) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  testing::TempDir dir("messenger-grpc-tls");
  const std::string certs = dir.path() + "/certs";
  const std::string other_ca = dir.path() + "/other-ca";
  MakeCerts(certs, "gateway auth session profile contact messaging");
  MakeCerts(other_ca, "gateway");
  if (HasFatalFailure()) return;

  SplitSystem split;
  const std::map<std::string, std::string> env =
      split.Env((*db)->dsn(), (*nats)->url(), dir.path());
  auto env_of = [&](const std::string& name) {
    std::map<std::string, std::string> own = env;
    for (auto& [key, value] : TlsEnv(certs, name)) own[key] = value;
    return own;
  };
  // 0. Half a configuration would run in plaintext: the binary refuses to start.
  {
    std::map<std::string, std::string> partial = env;
    partial["MESSENGER_GRPC_TLS_CERT"] = certs + "/profile.crt";
    const std::string log = dir.path() + "/profile-partial.log";
    auto child = testing::ChildProcess::Start({split.profile.binary()}, partial, log);
    ASSERT_TRUE(child.ok()) << child.status();
    ASSERT_TRUE(testing::WaitUntil([&] { return !(*child)->Running(); }, absl::Seconds(60)))
        << Dump(log);
    const int status = (*child)->Stop(SIGKILL, absl::Seconds(1));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status << Dump(log);
    EXPECT_NE(Dump(log).find("MESSENGER_GRPC_TLS_KEY and MESSENGER_GRPC_TLS_CA go together"),
              std::string::npos)
        << Dump(log);
  }

  const std::map<std::string, ServiceProcess*> services = {{"session", &split.session},
                                                           {"auth", &split.auth},
                                                           {"profile", &split.profile},
                                                           {"contact", &split.contact},
                                                           {"messaging", &split.messaging}};
  for (const std::string& name : ServiceNames()) {
    ASSERT_TRUE(services.at(name)->Start(env_of(name), dir.path()).ok())
        << Dump(dir.path() + "/" + name + ".log");
  }
  ASSERT_TRUE(split.gateway.Start(env_of("gateway"), dir.path(), "/readyz").ok())
      << Dump(dir.path() + "/gateway.log");

  // 1. The whole flow, every internal call over TLS.
  httplib::Client client("127.0.0.1", split.http_port);
  client.set_read_timeout(10, 0);
  const Friends friends = BefriendAndSend(client, "over mutual TLS", dir.path());
  if (HasFailure()) return;
  const int port = split.messaging.grpc_port();

  // 2. Plaintext: no TLS handshake, no call.
  {
    auto stub = messaging::v1::MessagingService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    int count = 0;
    grpc::Status status = ListConversations(*stub, friends.bob_id, &count);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  // 3. A certificate naming the gateway, signed by another CA: refused in
  // the handshake.
  {
    auto stub = ClientAs(other_ca, "gateway", certs, port);
    int count = 0;
    grpc::Status status = ListConversations(*stub, friends.bob_id, &count);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  // 4. profile's valid certificate: profile never calls messaging, so it may
  // not read bob's conversations by naming his user id.
  {
    auto stub = ClientAs(certs, "profile", certs, port);
    int count = -1;
    grpc::Status status = ListConversations(*stub, friends.bob_id, &count);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_NE(status.error_message().find("profile may not call"), std::string::npos)
        << status.error_message();
    EXPECT_EQ(count, 0);
  }
  // 5. The gateway's certificate: allowed, bob has his conversation with alice.
  {
    auto stub = ClientAs(certs, "gateway", certs, port);
    int count = 0;
    grpc::Status status = ListConversations(*stub, friends.bob_id, &count);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    EXPECT_EQ(count, 1);
  }
  // 6. auth: messaging, profile and contact may read an account (GetUser: one whose
  // user.created they have not applied yet), nothing else of auth.
  for (const char* caller : {"messaging", "profile", "contact"}) {
    auto stub =
        auth::v1::AuthService::NewStub(ChannelAs(certs, caller, certs, "auth", split.auth.grpc_port()));
    auth::v1::GetUserRequest request;
    request.set_user_id(friends.bob_id);
    auth::v1::User user;
    grpc::Status status = stub->GetUser(TenSeconds().get(), request, &user);
    EXPECT_TRUE(status.ok()) << caller << ": " << status.error_message();
    EXPECT_EQ(user.user_id(), friends.bob_id) << caller;
    auth::v1::UsernameAvailableRequest available;
    available.set_username("nobody-yet");
    auth::v1::UsernameAvailableResponse answer;
    status = stub->UsernameAvailable(TenSeconds().get(), available, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << caller << ": " << status.error_message();
  }

  for (ServiceProcess* s : {&split.gateway, &split.messaging, &split.contact, &split.profile,
                            &split.auth, &split.session}) {
    EXPECT_EQ(s->Stop(), 0);
  }
}

}  // namespace
}  // namespace messenger::e2e
