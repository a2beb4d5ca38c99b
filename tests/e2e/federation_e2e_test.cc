// Two homeservers (hs1.test, hs2.test: two messenger processes with their own
// database, NATS and ports) federating over plain HTTP on loopback, and a
// third, Python one (tests/e2e/federation_peer.py, on matrix.org's
// signedjson) that checks what ours sign and signs requests ours must accept.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/pg/pg.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/request_auth.h"
#include "messenger/federation/v1/federation.grpc.pb.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

using Json = nlohmann::json;

constexpr char kHs1[] = "hs1.test";
constexpr char kHs2[] = "hs2.test";
constexpr char kPy[] = "hs3.test";      // the Python server
constexpr char kDenied[] = "hs4.test";  // not in hs2's whitelist
// hs1 signs with a key from a file (MESSENGER_MATRIX_SIGNING_KEY_FILE), so the
// Python side can sign as hs1 too.
constexpr char kHs1Seed[] = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
constexpr char kHs1KeyId[] = "ed25519:fromfile";
constexpr char kPySeed[] = "cHl0aG9uIHBlZXIgc2VlZCBmb3IgdGhlIHRlc3RzISE";
constexpr char kOtherSeed[] = "b3RoZXIgc2VlZCBub2JvZHkgcHVibGlzaGVkIHlldCE";

struct Output {
  int status = -1;
  std::string text;
};

// Runs federation_peer.py with `args` (each quoted) and returns its exit
// status and output.
Output Python(const std::vector<std::string>& args) {
  std::string cmd = "/usr/bin/python3 '" MESSENGER_FEDERATION_PEER "'";
  for (const std::string& a : args) absl::StrAppend(&cmd, " '", a, "'");
  absl::StrAppend(&cmd, " 2>&1");
  Output out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  out.status = pclose(pipe);
  return out;
}

std::string WriteFile(const testing::TempDir& dir, const std::string& name,
                      const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

class FederationE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("messenger-federation");
    const int port1 = testing::FreePort(), port2 = testing::FreePort();
    py_port_ = testing::FreePort();
    // dead.test: a reserved port nobody listens on.
    const std::string hosts =
        absl::StrCat(kHs1, "=127.0.0.1:", port1, ",", kHs2, "=127.0.0.1:", port2, ",", kPy,
                     "=127.0.0.1:", py_port_, ",dead.test=127.0.0.1:", testing::FreePort());
    const std::string key_file =
        WriteFile(*dir_, "hs1.key", absl::StrCat("ed25519 fromfile ", kHs1Seed, "\n"));
    auto hs1 = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", kHs1},
                                        {"MESSENGER_HTTP_ADDR", absl::StrCat("127.0.0.1:", port1)},
                                        {"MESSENGER_MATRIX_SIGNING_KEY_FILE", key_file},
                                        {"MESSENGER_FEDERATION_HOSTS", hosts},
                                        {"MESSENGER_FEDERATION_INSECURE_HTTP", "1"}});
    ASSERT_TRUE(hs1.ok()) << hs1.status();
    hs1_ = hs1->release();
    auto hs2 = MessengerProcess::Start(
        {{"MESSENGER_SERVER_NAME", kHs2},
         {"MESSENGER_HTTP_ADDR", absl::StrCat("127.0.0.1:", port2)},
         {"MESSENGER_FEDERATION_HOSTS", hosts},
         {"MESSENGER_FEDERATION_INSECURE_HTTP", "1"},
         {"MESSENGER_FEDERATION_DOMAIN_WHITELIST", absl::StrCat(kHs1, ",", kPy)},
         {"MESSENGER_FEDERATION_PUBLIC_ADDRESS", "hs2.test:443"}});
    ASSERT_TRUE(hs2.ok()) << hs2.status();
    hs2_ = hs2->release();
    auto py = testing::ChildProcess::Start(
        {"/usr/bin/python3", MESSENGER_FEDERATION_PEER, "serve", std::to_string(py_port_), kPy,
         kPySeed, "ed25519:py", absl::StrCat(kHs1, "=127.0.0.1:", port1),
         absl::StrCat(kHs2, "=127.0.0.1:", port2)},
        {}, dir_->path() + "/peer.log");
    ASSERT_TRUE(py.ok()) << py.status();
    py_ = py->release();
    httplib::Client probe("127.0.0.1", py_port_);
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          auto r = probe.Get("/_matrix/key/v2/server");
          return r && r->status == 200;
        },
        absl::Seconds(20), absl::Milliseconds(50)));
  }

  static void TearDownTestSuite() {
    delete py_;
    delete hs1_;
    delete hs2_;
    delete dir_;
  }

  // hs1's FederationService over gRPC (what later client routes will call).
  static std::unique_ptr<federation::v1::FederationService::Stub> Hs1Federation() {
    return federation::v1::FederationService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", hs1_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  // A GET of `uri` to hs2, signed by the Python implementation for
  // `signed_uri` (default: the same).
  static Reply SignedGet(const std::string& seed, const std::string& key_id,
                         const std::string& origin, const std::string& destination,
                         const std::string& uri, const std::string& signed_uri = "") {
    Output header = Python(
        {"sign", seed, key_id, origin, destination, "GET", signed_uri.empty() ? uri : signed_uri});
    EXPECT_EQ(header.status, 0) << header.text;
    std::string value = header.text.substr(0, header.text.find('\n'));
    auto client = hs2_->Client();
    return Send(*client, "GET", uri, std::nullopt, "", {{"Authorization", value}});
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline MessengerProcess* hs1_ = nullptr;
  static inline MessengerProcess* hs2_ = nullptr;
  static inline testing::ChildProcess* py_ = nullptr;
  static inline int py_port_ = 0;
};

TEST_F(FederationE2eTest, KeyDocumentVerifiesWithSignedjson) {
  auto client = hs1_->Client();
  Reply keys = Send(*client, "GET", "/_matrix/key/v2/server");
  ASSERT_EQ(keys.status, 200) << keys.raw;
  EXPECT_EQ(keys.body["server_name"], kHs1);
  // The key of the file.
  ASSERT_TRUE(keys.body["verify_keys"].contains(kHs1KeyId)) << keys.raw;
  EXPECT_EQ(keys.body["verify_keys"].size(), 1u);
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const int64_t valid = keys.body["valid_until_ts"].get<int64_t>();
  EXPECT_GT(valid, now_ms + 23 * 3600 * 1000);  // MESSENGER_FEDERATION_KEY_VALIDITY_S: a day
  EXPECT_LT(valid, now_ms + 25 * 3600 * 1000);
  Output check = Python({"verify-keys", kHs1, WriteFile(*dir_, "hs1-keys.json", keys.raw)});
  EXPECT_EQ(check.status, 0) << check.text;
  Reply well_known = Send(*hs2_->Client(), "GET", "/.well-known/matrix/server");
  EXPECT_EQ(well_known.status, 200);
  EXPECT_EQ(well_known.body, Json({{"m.server", "hs2.test:443"}}));
  EXPECT_EQ(Send(*client, "GET", "/.well-known/matrix/server").body["errcode"], "M_NOT_FOUND");
  Reply version = Send(*client, "GET", "/_matrix/federation/v1/version");
  EXPECT_EQ(version.status, 200);
  EXPECT_EQ(version.body["server"]["name"], "messenger");
}

TEST_F(FederationE2eTest, NotaryServesRemoteKeysCountersigned) {
  auto client = hs1_->Client();
  Reply hs1_keys = Send(*client, "GET", "/_matrix/key/v2/server");
  Reply hs2_keys = Send(*hs2_->Client(), "GET", "/_matrix/key/v2/server");
  ASSERT_EQ(hs2_keys.status, 200);
  const std::string hs1_keys_file = WriteFile(*dir_, "hs1-keys.json", hs1_keys.raw);
  Reply one = Send(*client, "GET", "/_matrix/key/v2/query/hs2.test");
  ASSERT_EQ(one.status, 200) << one.raw;
  ASSERT_EQ(one.body["server_keys"].size(), 1u) << one.raw;
  EXPECT_EQ(one.body["server_keys"][0]["verify_keys"], hs2_keys.body["verify_keys"]);
  Output check = Python(
      {"verify-notary", WriteFile(*dir_, "notary.json", one.raw), kHs2, kHs1, hs1_keys_file});
  EXPECT_EQ(check.status, 0) << check.text;
  // The batch form: hs2 and the Python server (fetched now), an unreachable
  // server left out, and a minimum_valid_until_ts.
  const Json query = {{"server_keys",
                       {{kHs2, {{"ed25519:any", {{"minimum_valid_until_ts", 1'000}}}}},
                        {kPy, Json::object()},
                        {"dead.test", Json::object()}}}};
  Reply batch = Send(*client, "POST", "/_matrix/key/v2/query", query);
  ASSERT_EQ(batch.status, 200) << batch.raw;
  EXPECT_EQ(batch.body["server_keys"].size(), 2u) << batch.raw;
  check = Python(
      {"verify-notary", WriteFile(*dir_, "batch.json", batch.raw), kPy, kHs1, hs1_keys_file});
  EXPECT_EQ(check.status, 0) << check.text;
  Reply bad = Send(*client, "POST", "/_matrix/key/v2/query", Json{{"server_keys", 5}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["errcode"], "M_INVALID_PARAM");
}

TEST_F(FederationE2eTest, ProfileQueryOverSignedFederation) {
  auto client2 = hs2_->Client();
  TestUser bob = CreateUser(*hs2_, *client2, "bob");
  Reply renamed = Send(*client2, "PATCH", "/v1/me/profile", Json{{"display_name", "Bob Two"}},
                       bob.access_token);
  ASSERT_EQ(renamed.status, 200) << renamed.raw;

  auto stub = Hs1Federation();
  federation::v1::QueryRemoteProfileRequest request;
  request.set_user_id("@bob:hs2.test");
  federation::v1::JsonDocument profile;
  grpc::Status status;
  // Messaging learns of bob from user.created, asynchronously.
  testing::WaitUntil(
      [&] {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        status = stub->QueryRemoteProfile(&context, request, &profile);
        return status.error_code() != grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(20), absl::Milliseconds(100));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Json::parse(profile.json()), Json({{"displayname", "Bob Two"}}));

  request.set_user_id("@nobody:hs2.test");
  grpc::ClientContext missing;
  EXPECT_EQ(stub->QueryRemoteProfile(&missing, request, &profile).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // hs1 asks the Python server, which checks hs1's X-Matrix header with
  // signedjson against the keys it fetches from hs1.
  request.set_user_id("@someone:hs3.test");
  grpc::ClientContext to_python;
  status = stub->QueryRemoteProfile(&to_python, request, &profile);
  ASSERT_TRUE(status.ok()) << status.error_message() << Dump(dir_->path() + "/peer.log");
  EXPECT_EQ(Json::parse(profile.json()), Json({{"displayname", "verified hs1.test"}}));
}

TEST_F(FederationE2eTest, SignedjsonRequestsAcceptedForgedOnesRefused) {
  auto client2 = hs2_->Client();
  CreateUser(*hs2_, *client2, "carol");
  const std::string uri = "/_matrix/federation/v1/query/profile?user_id=%40carol%3Ahs2.test";
  // Signed by Python as the Python server (hs2 fetches its keys), and as
  // hs1 with hs1's key (hs2 fetches them from hs1).
  Reply ok;
  // Messaging learns of carol from user.created, asynchronously.
  testing::WaitUntil(
      [&] {
        ok = SignedGet(kPySeed, "ed25519:py", kPy, kHs2, uri);
        return ok.status != 404;
      },
      absl::Seconds(20), absl::Milliseconds(100));
  EXPECT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body, Json({{"displayname", "carol"}}));
  ok = SignedGet(kHs1Seed, kHs1KeyId, kHs1, kHs2, uri);
  EXPECT_EQ(ok.status, 200) << ok.raw;
  Reply with_field = SignedGet(kHs1Seed, kHs1KeyId, kHs1, kHs2, uri + "&field=avatar_url");
  EXPECT_EQ(with_field.status, 200) << with_field.raw;
  EXPECT_EQ(with_field.body, Json::object());

  auto unauthorized = [](const Reply& r, const std::string& what) {
    EXPECT_EQ(r.status, 401) << what << ": " << r.raw;
    EXPECT_EQ(r.body["errcode"], "M_UNAUTHORIZED") << what << ": " << r.raw;
  };
  unauthorized(SignedGet(kOtherSeed, kHs1KeyId, kHs1, kHs2, uri), "wrong key");
  unauthorized(SignedGet(kHs1Seed, kHs1KeyId, kHs1, kPy, uri), "wrong destination");
  unauthorized(SignedGet(kHs1Seed, "ed25519:unknown", kHs1, kHs2, uri), "unknown key");
  unauthorized(SignedGet(kHs1Seed, kHs1KeyId, kHs1, kHs2, uri, uri + "&field=displayname"),
               "signed another uri");
  unauthorized(Send(*client2, "GET", uri), "unsigned");
  unauthorized(Send(*client2, "GET", uri, std::nullopt, "", {{"Authorization", "X-Matrix junk"}}),
               "malformed");
  Reply denied = SignedGet(kOtherSeed, "ed25519:x", kDenied, kHs2, uri);
  EXPECT_EQ(denied.status, 403) << denied.raw;
  EXPECT_EQ(denied.body["errcode"], "M_FORBIDDEN");
  Reply nobody = SignedGet(kHs1Seed, kHs1KeyId, kHs1, kHs2,
                           "/_matrix/federation/v1/query/profile?user_id=%40nobody%3Ahs2.test");
  EXPECT_EQ(nobody.status, 404) << nobody.raw;
  EXPECT_EQ(nobody.body["errcode"], "M_NOT_FOUND");
}

// tests/matrix/federation_rooms_test.py as hs3.test (the Python server,
// whose keys hs2 fetches from it): joins a public room of hs2, reads it,
// sends PDUs good and bad; hs1 (no member in the room) is refused; then hs1
// joins another room of hs2 and sees the Python server's join and leave
// there, forwarded by hs2.
TEST_F(FederationE2eTest, RemoteServerJoinsReadsAndSendsIntoALocalRoom) {
  const std::string log = dir_->path() + "/federation_rooms_test.log";
  const std::string command =
      absl::StrCat("timeout 300 /usr/bin/python3 '", MESSENGER_FEDERATION_ROOMS_TEST,
                   "' --base http://127.0.0.1:", hs2_->http_port(), " --server ", kHs2, " --peer '",
                   kPy, ":", kPySeed, ":ed25519:py'", " --outsider '", kHs1, ":", kHs1Seed, ":",
                   kHs1KeyId, "' --outsider-base http://127.0.0.1:", hs1_->http_port(),
                   " --peer-address 127.0.0.1:", py_port_, " > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "federation_rooms_test.py failed:" << Dump(log) << "\nhs2 log:" << Dump(hs2_->log_path())
      << "\nhs1 log:" << Dump(hs1_->log_path());
  // The script's soft-failed message (one prev event) is kept with its prev
  // event's state group, not a copy of the room's state; its soft-failed
  // topic moved into the room's events when the resolution kept it.
  auto pool = pg::Pool::Create({.dsn = hs2_->database().dsn(), .size = 1});
  ASSERT_TRUE(pool.ok()) << pool.status();
  static constexpr pg::Query kSoftFailed{
      "t_soft_failed",
      "SELECT s.pdu::jsonb ? 'state_key', s.state_group = p.state_group "
      "FROM messaging.federation_soft_failed_events s "
      "JOIN messaging.events p ON p.event_id = s.pdu::jsonb -> 'prev_events' ->> 0"};
  auto kept = (*pool)->Exec(kSoftFailed);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->rows(), 1);
  EXPECT_FALSE(kept->GetBool(0, 0));  // the message; the topic is one of the room's events now
  EXPECT_TRUE(kept->GetBool(0, 1));
  // A message after one event has the state after it: the script's forked
  // messages too (no snapshot of the room's state each).
  static constexpr pg::Query kOwnGroups{
      "t_own_groups",
      "SELECT count(*) FILTER (WHERE e.state_group <> p.state_group), count(*) "
      "FROM messaging.events e JOIN messaging.events p "
      "ON p.event_id = e.pdu::jsonb -> 'prev_events' ->> 0 "
      "WHERE jsonb_array_length(e.pdu::jsonb -> 'prev_events') = 1 "
      "AND NOT e.pdu::jsonb ? 'state_key'"};
  auto groups = (*pool)->Exec(kOwnGroups);
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_EQ(groups->GetInt64(0, 0), 0);
  EXPECT_GT(groups->GetInt64(0, 1), 10);
}

// tests/matrix/federation_e2ee_checks.py as hs3.test: the key routes
// (user/keys/query, user/keys/claim, user/devices) answer a local user's
// uploaded keys, signed requests only, bad bodies 4xx (fede2ee).
TEST_F(FederationE2eTest, RemoteServerQueriesAndClaimsLocalKeys) {
  const std::string log = dir_->path() + "/federation_e2ee_checks.log";
  const std::string command = absl::StrCat(
      "timeout 120 /usr/bin/python3 '", MESSENGER_FEDERATION_E2EE_CHECKS,
      "' --base http://127.0.0.1:", hs2_->http_port(), " --server ", kHs2, " --peer '", kPy, ":",
      kPySeed, ":ed25519:py' > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "federation_e2ee_checks.py failed:" << Dump(log) << "\nhs2 log:" << Dump(hs2_->log_path());
}

}  // namespace
}  // namespace messenger::e2e
