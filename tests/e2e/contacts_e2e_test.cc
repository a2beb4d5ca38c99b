// Profiles and contacts end to end over HTTP (and IsFriend over gRPC) against
// the all-in-one binary.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/cleanup/cleanup.h"

#include "messenger/contact/v1/contact.grpc.pb.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

class ContactsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = absl::Now() - absl::Seconds(1);  // event times are in milliseconds
    auto started = MessengerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
    alice_ = CreateUser(*messenger_, *client_, "alice");
    bob_ = CreateUser(*messenger_, *client_, "bob");
    carol_ = CreateUser(*messenger_, *client_, "carol");
    // Profiles and contact records come from user.created: within moments.
    for (const TestUser* u : {&alice_, &bob_, &carol_}) {
      ASSERT_TRUE(testing::WaitUntil(
          [&] { return Get("/v1/users/" + u->user_id + "/profile", alice_).status == 200; },
          absl::Seconds(5)));
    }
  }

  Reply Get(const std::string& path, const TestUser& as) {
    return Send(*client_, "GET", path, std::nullopt, as.access_token);
  }
  Reply Post(const std::string& path, const TestUser& as,
             const std::optional<nlohmann::json>& body = std::nullopt) {
    return Send(*client_, "POST", path, body, as.access_token);
  }
  Reply Delete(const std::string& path, const TestUser& as) {
    return Send(*client_, "DELETE", path, std::nullopt, as.access_token);
  }
  Reply Request(const TestUser& from, const TestUser& to) {
    return Post("/v1/contacts/requests", from, nlohmann::json{{"user_id", to.user_id}});
  }

  absl::Time start_;
  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
  TestUser alice_, bob_, carol_;
};

TEST_F(ContactsE2eTest, ProfileReadUpdateEtagAnd304) {
  Reply me = Get("/v1/me", alice_);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["profile"]["display_name"], "alice");
  EXPECT_EQ(me.body["profile"]["username"], "alice");

  const std::string path = "/v1/users/" + alice_.user_id + "/profile";
  auto first = client_->Get(path, {{"Authorization", "Bearer " + bob_.access_token}});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  const std::string etag = first->get_header_value("ETag");
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(first->get_header_value("Cache-Control"), "private, max-age=60");
  auto body = nlohmann::json::parse(first->body);
  for (const char* key : {"user_id", "username", "display_name", "avatar_url", "bio", "updated_at"}) {
    EXPECT_TRUE(body.contains(key)) << key;
  }

  auto cached = client_->Get(path, {{"Authorization", "Bearer " + bob_.access_token},
                                    {"If-None-Match", etag}});
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
  EXPECT_TRUE(cached->body.empty());
  EXPECT_EQ(cached->get_header_value("ETag"), etag);

  Reply patched = Send(*client_, "PATCH", "/v1/me/profile",
                       nlohmann::json{{"display_name", "  Alice A.  "},
                                      {"avatar_url", "mxc://localhost/avatar1"},
                                      {"bio", "hi there"}},
                       alice_.access_token);
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(patched.body["display_name"], "Alice A.");
  EXPECT_EQ(patched.body["avatar_url"], "mxc://localhost/avatar1");

  auto changed = client_->Get(path, {{"Authorization", "Bearer " + bob_.access_token},
                                     {"If-None-Match", etag}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_NE(changed->get_header_value("ETag"), etag);
  EXPECT_EQ(nlohmann::json::parse(changed->body)["bio"], "hi there");

  for (const nlohmann::json& bad :
       {nlohmann::json{{"display_name", std::string(65, 'x')}},
        nlohmann::json{{"display_name", "two\nlines"}}, nlohmann::json{{"avatar_url", "http://x.org/a"}},
        nlohmann::json{{"bio", std::string(501, 'b')}}, nlohmann::json{{"bio", 5}},
        nlohmann::json::object()}) {
    Reply r = Send(*client_, "PATCH", "/v1/me/profile", bad, alice_.access_token);
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.raw;
  }
  // A malformed id is the client's mistake: 400 naming the parameter.
  Reply malformed = Get("/v1/users/" + std::string("not-a-uuid") + "/profile", bob_);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.raw.find("'user_id'"), std::string::npos) << malformed.raw;
  EXPECT_EQ(Get("/v1/users/00000000-0000-4000-8000-000000000000/profile", bob_).status, 404);
}

TEST_F(ContactsE2eTest, SearchByUsernamePrefix) {
  Reply found = Get("/v1/users/search?q=AL&limit=5", bob_);
  ASSERT_EQ(found.status, 200) << found.raw;
  ASSERT_EQ(found.body["users"].size(), 1u);
  EXPECT_EQ(found.body["users"][0]["user_id"], alice_.user_id);
  EXPECT_EQ(found.body["users"][0]["username"], "alice");
  EXPECT_EQ(Get("/v1/users/search?q=zz", bob_).body["users"].size(), 0u);
  EXPECT_EQ(Get("/v1/users/search?q=", bob_).status, 400);
  EXPECT_EQ(Get("/v1/users/search?q=a&limit=abc", bob_).status, 400);
  EXPECT_EQ(Get("/v1/users/search?q=a&limit=1000", bob_).status, 400);
}

TEST_F(ContactsE2eTest, RequestListsAcceptAndContacts) {
  Reply sent = Request(alice_, bob_);
  ASSERT_EQ(sent.status, 201) << sent.raw;
  EXPECT_EQ(sent.body["status"], "pending");
  EXPECT_EQ(sent.body["user_id"], bob_.user_id);

  Reply a_lists = Get("/v1/contacts/requests", alice_);
  ASSERT_EQ(a_lists.status, 200);
  ASSERT_EQ(a_lists.body["outgoing"].size(), 1u);
  EXPECT_EQ(a_lists.body["outgoing"][0]["user_id"], bob_.user_id);
  EXPECT_EQ(a_lists.body["outgoing"][0]["username"], "bob");
  EXPECT_TRUE(a_lists.body["outgoing"][0]["created_at"].is_string());
  EXPECT_EQ(a_lists.body["incoming"].size(), 0u);
  Reply b_lists = Get("/v1/contacts/requests", bob_);
  ASSERT_EQ(b_lists.body["incoming"].size(), 1u);
  EXPECT_EQ(b_lists.body["incoming"][0]["username"], "alice");

  // Carol cannot accept a request addressed to Bob.
  EXPECT_EQ(Post("/v1/contacts/requests/" + alice_.user_id + "/accept", carol_).status, 404);
  Reply accepted = Post("/v1/contacts/requests/" + alice_.user_id + "/accept", bob_);
  ASSERT_EQ(accepted.status, 200) << accepted.raw;
  EXPECT_EQ(accepted.body["status"], "accepted");

  Reply a_contacts = Get("/v1/contacts", alice_);
  Reply b_contacts = Get("/v1/contacts", bob_);
  ASSERT_EQ(a_contacts.body["contacts"].size(), 1u);
  ASSERT_EQ(b_contacts.body["contacts"].size(), 1u);
  EXPECT_EQ(a_contacts.body["contacts"][0]["user_id"], bob_.user_id);
  EXPECT_EQ(a_contacts.body["contacts"][0]["username"], "bob");
  EXPECT_EQ(a_contacts.body["contacts"][0]["display_name"], "bob");
  EXPECT_TRUE(a_contacts.body["contacts"][0]["since"].is_string());
  EXPECT_EQ(b_contacts.body["contacts"][0]["user_id"], alice_.user_id);
  EXPECT_EQ(Get("/v1/contacts/requests", bob_).body["incoming"].size(), 0u);
  EXPECT_EQ(Request(alice_, bob_).status, 409);  // already friends
}

TEST_F(ContactsE2eTest, CrossingRequestsDeclineAndRemove) {
  ASSERT_EQ(Request(alice_, carol_).status, 201);
  Reply crossing = Request(carol_, alice_);
  EXPECT_EQ(crossing.status, 200) << crossing.raw;
  EXPECT_EQ(crossing.body["status"], "accepted");
  EXPECT_EQ(Get("/v1/contacts", alice_).body["contacts"].size(), 1u);

  ASSERT_EQ(Request(bob_, carol_).status, 201);
  EXPECT_EQ(Post("/v1/contacts/requests/" + bob_.user_id + "/decline", carol_).status, 204);
  EXPECT_EQ(Get("/v1/contacts/requests", bob_).body["outgoing"].size(), 0u);
  EXPECT_EQ(Post("/v1/contacts/requests/" + bob_.user_id + "/decline", carol_).status, 404);

  EXPECT_EQ(Delete("/v1/contacts/" + alice_.user_id, carol_).status, 204);
  EXPECT_EQ(Get("/v1/contacts", alice_).body["contacts"].size(), 0u);
  EXPECT_EQ(Delete("/v1/contacts/" + alice_.user_id, carol_).status, 404);
}

TEST_F(ContactsE2eTest, BlocksSelfAndUnknownUsers) {
  ASSERT_EQ(Request(alice_, bob_).status, 201);
  ASSERT_EQ(Post("/v1/contacts/requests/" + alice_.user_id + "/accept", bob_).status, 200);
  EXPECT_EQ(Post("/v1/contacts/" + bob_.user_id + "/block", alice_).status, 204);
  EXPECT_EQ(Get("/v1/contacts", bob_).body["contacts"].size(), 0u);
  Reply bob_asks = Request(bob_, alice_);
  EXPECT_EQ(bob_asks.status, 403) << bob_asks.raw;
  EXPECT_EQ(bob_asks.body["error"]["code"], "PERMISSION_DENIED");
  EXPECT_EQ(Request(alice_, bob_).status, 403);
  EXPECT_EQ(Delete("/v1/contacts/" + bob_.user_id + "/block", alice_).status, 204);
  EXPECT_EQ(Request(bob_, alice_).status, 201);

  EXPECT_EQ(Request(alice_, alice_).status, 400);
  Reply unknown = Post("/v1/contacts/requests", alice_,
                       nlohmann::json{{"user_id", "00000000-0000-4000-8000-000000000000"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Post("/v1/contacts/requests", alice_, nlohmann::json{{"user_id", "garbage"}}).status, 404);
}

TEST_F(ContactsE2eTest, MalformedInputNeverYields5xx) {
  const std::vector<std::pair<std::string, std::string>> posts = {
      {"/v1/contacts/requests", "{"},
      {"/v1/contacts/requests", "[]"},
      {"/v1/contacts/requests", R"({"user_id": 42})"},
      {"/v1/contacts/requests", R"({})"},
      {"/v1/contacts/requests/%00/accept", ""},
      {"/v1/contacts/requests/" + std::string(300, 'x') + "/accept", ""},
      {"/v1/contacts/x/block", ""},
  };
  for (const auto& [path, body] : posts) {
    Reply r = SendRaw(*client_, "POST", path, body, alice_.access_token);
    EXPECT_GE(r.status, 400) << path << " " << body;
    EXPECT_LT(r.status, 500) << path << " " << body << " -> " << r.raw;
    EXPECT_TRUE(r.body.contains("error")) << r.raw;
  }
  // A malformed user id in any contacts path: 400 naming the parameter.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/contacts/requests/not-a-uuid/accept"},
           {"POST", "/v1/contacts/requests/not-a-uuid/decline"},
           {"DELETE", "/v1/contacts/not-a-uuid"},
           {"POST", "/v1/contacts/not-a-uuid/block"},
           {"DELETE", "/v1/contacts/not-a-uuid/block"}}) {
    Reply malformed = SendRaw(*client_, method, path, "", alice_.access_token);
    EXPECT_EQ(malformed.status, 400) << method << " " << path << " -> " << malformed.raw;
    EXPECT_EQ(malformed.body.value("/error/code"_json_pointer, ""), "INVALID_ARGUMENT");
    EXPECT_NE(malformed.raw.find("'user_id'"), std::string::npos) << malformed.raw;
  }
  Reply r = SendRaw(*client_, "PATCH", "/v1/me/profile", "not json", alice_.access_token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Send(*client_, "GET", "/v1/contacts").status, 401);
}

TEST_F(ContactsE2eTest, EventsArePublishedOnceWithTheirPayloads) {
  // 3 x (user.created, user.email_verified, session.created) = 9 before this.
  ASSERT_EQ(Send(*client_, "PATCH", "/v1/me/profile", nlohmann::json{{"display_name", "Bobby"}},
                 bob_.access_token).status, 200);
  ASSERT_EQ(Request(alice_, bob_).status, 201);
  ASSERT_EQ(Post("/v1/contacts/requests/" + alice_.user_id + "/accept", bob_).status, 200);
  ASSERT_EQ(Delete("/v1/contacts/" + bob_.user_id, alice_).status, 204);
  auto by_type = ExpectExactlyOnce(*messenger_,
                                   {{"user.created", 3},
                                    {"user.email_verified", 3},
                                    {"session.created", 3},
                                    {"profile.updated", 1},
                                    {"friendship.created", 1},
                                    {"friendship.accepted", 1},
                                    {"friendship.removed", 1}},
                                   start_);
  ASSERT_EQ(by_type["profile.updated"].size(), 1u);
  ASSERT_EQ(by_type["friendship.created"].size(), 1u);
  ASSERT_EQ(by_type["friendship.accepted"].size(), 1u);
  ASSERT_EQ(by_type["friendship.removed"].size(), 1u);
  const auto& updated = by_type["profile.updated"][0];
  EXPECT_EQ(updated.Data()["user_id"], bob_.user_id);
  EXPECT_EQ(updated.Data()["display_name"], "Bobby");
  EXPECT_EQ(updated.Data()["avatar_url"], "");
  EXPECT_EQ(updated.Data()["bio"], "");
  const auto& created = by_type["friendship.created"][0];
  EXPECT_EQ(created.Data()["requester_id"], alice_.user_id);
  EXPECT_EQ(created.Data()["addressee_id"], bob_.user_id);
  const std::string low = std::min(alice_.user_id, bob_.user_id);
  const std::string high = std::max(alice_.user_id, bob_.user_id);
  const auto& accepted = by_type["friendship.accepted"][0];
  EXPECT_EQ(accepted.Data()["user_a"], low);
  EXPECT_EQ(accepted.Data()["user_b"], high);
  EXPECT_LE(JsonTime(created.Data()["created_at"]), JsonTime(accepted.Data()["accepted_at"]));
  const auto& removed = by_type["friendship.removed"][0];
  EXPECT_EQ(removed.Data()["user_a"], low);
  EXPECT_EQ(removed.Data()["user_b"], high);
  EXPECT_EQ(removed.Data()["removed_by"], alice_.user_id);
  EXPECT_LE(JsonTime(accepted.Data()["accepted_at"]), JsonTime(removed.Data()["removed_at"]));
}

// With nats-server down, dora's user.created waits in auth's outbox:
// profile, contact and messaging have not heard of her when she acts, and
// each asks auth (before, /v1/me had a null profile, the rename and the
// request to her were 404, and her first Matrix sync 503 "retry shortly").
TEST_F(ContactsE2eTest, AnAccountIsUsableBeforeItsUserCreatedArrives) {
  messenger_->nats().Kill();
  absl::Cleanup restart = [this] { EXPECT_TRUE(messenger_->nats().Restart().ok()); };
  const nlohmann::json account = {{"username", "dora"}, {"password", "pw-dora-secret"}};
  Reply flows = Send(*client_, "POST", "/_matrix/client/v3/register", account);
  ASSERT_EQ(flows.status, 401) << flows.raw;
  nlohmann::json dummy = account;
  dummy["auth"] = {{"type", "m.login.dummy"}, {"session", flows.body.value("session", "")}};
  Reply registered = Send(*client_, "POST", "/_matrix/client/v3/register", dummy);
  ASSERT_EQ(registered.status, 200) << registered.raw;
  TestUser dora;
  dora.access_token = registered.body.value("access_token", "");

  Reply me = Get("/v1/me", dora);
  ASSERT_EQ(me.status, 200) << me.raw;
  dora.user_id = me.body.value("user_id", "");
  EXPECT_TRUE(me.body["profile"].is_object() && me.body["profile"]["display_name"] == "dora")
      << me.raw;
  Reply renamed = Send(*client_, "PATCH", "/v1/me/profile",
                       nlohmann::json{{"display_name", "Dora D."}}, dora.access_token);
  EXPECT_EQ(renamed.status, 200) << renamed.raw;
  Reply asked = Request(alice_, dora);
  EXPECT_EQ(asked.status, 201) << asked.raw;
  Reply synced = Send(*client_, "GET", "/_matrix/client/v3/sync?timeout=0", std::nullopt,
                      dora.access_token);
  ASSERT_EQ(synced.status, 200) << synced.raw;
  EXPECT_NE(synced.raw.find("@dora:"), std::string::npos)
      << "the push rules name her Matrix id: " << synced.raw;
}

TEST_F(ContactsE2eTest, IsFriendFromAPlainGrpcClient) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(messenger_->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = contact::v1::ContactService::NewStub(channel);
  auto ask = [&](const std::string& a, const std::string& b) {
    contact::v1::IsFriendRequest request;
    request.set_user_a(a);
    request.set_user_b(b);
    contact::v1::IsFriendResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Status status = stub->IsFriend(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.friends();
  };
  EXPECT_FALSE(ask(alice_.user_id, bob_.user_id));
  ASSERT_EQ(Request(alice_, bob_).status, 201);
  ASSERT_EQ(Post("/v1/contacts/requests/" + alice_.user_id + "/accept", bob_).status, 200);
  EXPECT_TRUE(ask(alice_.user_id, bob_.user_id));
  EXPECT_TRUE(ask(bob_.user_id, alice_.user_id));
  EXPECT_FALSE(ask(alice_.user_id, carol_.user_id));

  contact::v1::IsFriendRequest bad;
  bad.set_user_a("nope");
  bad.set_user_b(bob_.user_id);
  contact::v1::IsFriendResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stub->IsFriend(&context, bad, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace messenger::e2e
