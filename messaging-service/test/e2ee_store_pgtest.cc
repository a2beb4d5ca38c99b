// The end-to-end encryption relay (E2eeManager, PgE2eeStore and the sync
// sections) against a real PostgreSQL.
#include <atomic>

#include "messaging-service/test/e2ee_store_fixture.h"

namespace messenger::messaging {
namespace {

TEST_F(E2eeStoreTest, UploadAnswersCountsAndQueryShowsKeysToRoomMatesOnly) {
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  json body = {{"device_keys", DeviceKeys(alice)},
               {"one_time_keys", OneTimeKeys(0, 3)},
               {"fallback_keys", {{"signed_curve25519:f1", {{"key", "fb"}, {"fallback", true}}}}}};
  EXPECT_EQ(Upload(alice, body), (json{{"one_time_key_counts", {{"signed_curve25519", 3}}}}));
  // Re-uploading the same keys changes nothing.
  EXPECT_EQ(Upload(alice, body)["one_time_key_counts"]["signed_curve25519"], 3);

  const json asked = {{"@alice:localhost", json::array()}};
  json seen_by_bob = Query(Caller(bob_, "bob", "BDEV"), asked);
  EXPECT_EQ(seen_by_bob["device_keys"]["@alice:localhost"]["ADEV"], DeviceKeys(alice));
  EXPECT_EQ(seen_by_bob["failures"], json::object());
  // Carol shares no room with Alice: Alice is a user without devices to her.
  json seen_by_carol = Query(Caller(carol_, "carol", "CDEV"), asked);
  EXPECT_EQ(seen_by_carol["device_keys"]["@alice:localhost"], json::object());
  // The caller sees its own keys; a device filter applies; unknown and
  // remote users come back without devices.
  json own = Query(alice, {{"@alice:localhost", {"OTHER"}},
                           {"@nobody:localhost", json::array()},
                           {"@x:elsewhere.org", json::array()}});
  EXPECT_EQ(own["device_keys"]["@alice:localhost"], json::object());
  EXPECT_EQ(own["device_keys"]["@nobody:localhost"], json::object());
}

TEST_F(E2eeStoreTest, AQueryAsksAtMostThirtyTwoOtherServersAndNamesTheRestAsFailures) {
  std::atomic<int> asked{0};
  manager_->SetRemoteKeys([&](const std::string& server, std::string_view,
                              const std::string&) -> absl::StatusOr<std::string> {
    ++asked;
    const std::string user = "@u:" + server;
    return json{{"device_keys", {{user, {{"D", {{"user_id", user}, {"device_id", "D"}}}}}}}}
        .dump();
  });
  json users = json::object();
  for (int i = 0; i < 40; ++i) users["@u:s" + std::to_string(i) + ".org"] = json::array();
  const json answer = Query(Caller(alice_, "alice", "ADEV"), users);
  EXPECT_EQ(asked.load(), 32);
  ASSERT_EQ(answer["failures"].size(), 8u) << answer;
  for (const auto& [server, failure] : answer["failures"].items()) {
    EXPECT_EQ(failure["status"], 429) << server;
  }
  int answered = 0;
  for (const auto& [user, devices] : answer["device_keys"].items()) answered += devices.contains("D");
  EXPECT_EQ(answered, 32);
}

TEST_F(E2eeStoreTest, ClaimTakesEachOneTimeKeyOnceThenTheFallbackKey) {
  E2eeLimits limits;
  limits.max_keys_per_upload = 100;
  UseLimits(limits);
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  constexpr int kKeys = 60;
  Upload(alice, {{"device_keys", DeviceKeys(alice)},
                 {"one_time_keys", OneTimeKeys(0, kKeys)},
                 {"fallback_keys", {{"signed_curve25519:f1", {{"key", "fb"}}}}}});

  // Eight claimers race for the keys; each claim takes one key at most.
  constexpr int kClaimers = 8;
  std::mutex mutex;
  std::vector<std::string> claimed;
  int fallbacks = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClaimers; ++t) {
    threads.emplace_back([&, t] {
      const E2eeCaller bob = Caller(bob_, "bob", "B" + std::to_string(t));
      for (int i = 0; i < kKeys; ++i) {
        json answer = Claim(bob, {{"@alice:localhost", {{"ADEV", "signed_curve25519"}}}});
        json keys = answer["one_time_keys"]["@alice:localhost"]["ADEV"];
        ASSERT_EQ(keys.size(), 1u) << answer;
        std::lock_guard lock(mutex);
        if (keys.begin().key() == "signed_curve25519:f1") {
          ++fallbacks;
        } else {
          claimed.push_back(keys.begin().key());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kKeys)) << "a key was handed out twice or lost";
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(fallbacks, kClaimers * kKeys - kKeys);

  // The device's sync shows no one-time key left and its fallback key used.
  DeviceListsSection lists(*store_, kServer);
  auto out = Sync(lists, alice, 0);
  ASSERT_TRUE(out.ok()) << out.status();
  json sync = json::parse(out->json);
  EXPECT_EQ(sync["device_one_time_keys_count"], json::object());
  EXPECT_EQ(sync["device_unused_fallback_key_types"], json::array());
  // Carol, who shares no room with Alice, claims nothing.
  json carol = Claim(Caller(carol_, "carol", "CDEV"),
                     {{"@alice:localhost", {{"ADEV", "signed_curve25519"}}}});
  EXPECT_EQ(carol["one_time_keys"], json::object());
}

TEST_F(E2eeStoreTest, UploadsOverTheirBoundsAreRefusedWholly) {
  E2eeLimits limits;
  limits.max_keys_per_upload = 5;
  limits.max_one_time_keys = 8;
  UseLimits(limits);
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  auto too_many = manager_->UploadKeys(alice, json{{"one_time_keys", OneTimeKeys(0, 6)}}.dump());
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kOutOfRange) << too_many.status();
  Upload(alice, {{"one_time_keys", OneTimeKeys(0, 5)}});
  auto over_cap = manager_->UploadKeys(alice, json{{"one_time_keys", OneTimeKeys(5, 5)}}.dump());
  EXPECT_EQ(over_cap.status().code(), absl::StatusCode::kOutOfRange) << over_cap.status();
  EXPECT_EQ(Upload(alice, json::object())["one_time_key_counts"]["signed_curve25519"], 5);

  // Device keys of another user or device, and malformed bodies.
  const E2eeCaller bob = Caller(bob_, "bob", "BDEV");
  for (const json& body :
       {json{{"device_keys", DeviceKeys(bob)}}, json{{"device_keys", "x"}},
        json{{"one_time_keys", {{"nocolon", "k"}}}}, json{{"one_time_keys", {{"a:b", 5}}}}}) {
    auto refused = manager_->UploadKeys(alice, body.dump());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
  EXPECT_EQ(manager_->QueryKeys(alice, "[1]").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(E2eeStoreTest, ToDeviceMessagesAreDeliveredUntilAcknowledgedAndRetriesAreIdempotent) {
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  const E2eeCaller bob1 = Caller(bob_, "bob", "B1");
  const E2eeCaller bob2 = Caller(bob_, "bob", "B2");
  Upload(bob1, {{"device_keys", DeviceKeys(bob1)}});
  Upload(bob2, {{"device_keys", DeviceKeys(bob2)}});
  ToDeviceSection section(*store_, 100);
  auto initial = Sync(section, bob1, 0);
  ASSERT_TRUE(initial.ok()) << initial.status();
  EXPECT_FALSE(initial->has_changes);
  TakeWoken();

  const std::string body = json{{"messages", {{"@bob:localhost", {{"*", {{"n", 1}}}}}}}}.dump();
  ASSERT_TRUE(manager_->SendToDevice(alice, "m.test", "txn1", body).ok());
  EXPECT_EQ(TakeWoken(), std::set<std::string>{bob_});  // the recipient's long polls wake
  ASSERT_TRUE(manager_->SendToDevice(alice, "m.test", "txn1", body).ok());  // a retry
  EXPECT_TRUE(TakeWoken().empty());

  for (const E2eeCaller& device : {bob1, bob2}) {
    auto first = Sync(section, device, initial->next);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_TRUE(first->has_changes);
    json events = json::parse(first->json)["to_device"]["events"];
    ASSERT_EQ(events.size(), 1u) << events;  // once, despite the retry
    EXPECT_EQ(events[0],
              (json{{"type", "m.test"}, {"sender", "@alice:localhost"}, {"content", {{"n", 1}}}}));
    // Not acknowledged yet: a sync from the same position shows it again.
    auto again = Sync(section, device, initial->next);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(json::parse(again->json)["to_device"]["events"].size(), 1u);
    // The next sync acknowledges it: gone for good.
    auto next = Sync(section, device, first->next);
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(next->has_changes);
    EXPECT_EQ(next->next, first->next);
    EXPECT_EQ(json::parse(next->json)["to_device"]["events"], json::array());
    auto after_ack = Sync(section, device, initial->next);
    EXPECT_EQ(json::parse(after_ack->json)["to_device"]["events"], json::array());
  }
}

TEST_F(E2eeStoreTest, AFullInboxRefusesWithARetryHintAndStoresNothing) {
  E2eeLimits limits;
  limits.inbox_size = 3;
  UseLimits(limits);
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  const E2eeCaller bob = Caller(bob_, "bob", "B1");
  auto send = [&](const std::string& txn) {
    return manager_->SendToDevice(
        alice, "m.test", txn,
        json{{"messages", {{"@bob:localhost", {{"B1", {{"t", txn}}}}}}}}.dump());
  };
  for (const char* txn : {"a", "b", "c"}) ASSERT_TRUE(send(txn).ok());
  absl::Status full = send("d");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_TRUE(RetryAfter(full).has_value());
  // Once Bob's sync acknowledges them, "d" goes through (its failed attempt
  // left no transaction behind).
  ToDeviceSection section(*store_, 2);
  auto page = Sync(section, bob, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(json::parse(page->json)["to_device"]["events"].size(), 2u);  // per-sync bound
  auto rest = Sync(section, bob, page->next);
  EXPECT_EQ(json::parse(rest->json)["to_device"]["events"].size(), 1u);
  ASSERT_TRUE(Sync(section, bob, rest->next).ok());
  EXPECT_TRUE(send("d").ok());
}

TEST_F(E2eeStoreTest, DeviceListChangesReachRoomMatesAndRevokedSessionsLoseTheirKeys) {
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  const E2eeCaller bob = Caller(bob_, "bob", "BDEV");
  const E2eeCaller carol = Caller(carol_, "carol", "CDEV");
  DeviceListsSection lists(*store_, kServer);
  auto bob_start = Sync(lists, bob, 0);
  auto carol_start = Sync(lists, carol, 0);
  ASSERT_TRUE(bob_start.ok() && carol_start.ok());
  EXPECT_FALSE(bob_start->has_changes);

  Upload(alice, {{"device_keys", DeviceKeys(alice)}, {"one_time_keys", OneTimeKeys(0, 2)}});
  std::set<std::string> woken = TakeWoken();
  EXPECT_TRUE(woken.contains(alice_) && woken.contains(bob_)) << "room mates' polls wake";
  EXPECT_FALSE(woken.contains(carol_));

  auto bob_next = Sync(lists, bob, bob_start->next);
  ASSERT_TRUE(bob_next.ok()) << bob_next.status();
  EXPECT_TRUE(bob_next->has_changes);
  EXPECT_GT(bob_next->next, bob_start->next);
  json seen = json::parse(bob_next->json);
  EXPECT_EQ(seen["device_lists"]["changed"], json::array({"@alice:localhost"}));
  EXPECT_EQ(seen["device_lists"]["left"], json::array());
  auto carol_next = Sync(lists, carol, carol_start->next);
  EXPECT_FALSE(carol_next->has_changes);
  // Nothing new after that position; /keys/changes from it agrees.
  EXPECT_FALSE(Sync(lists, bob, bob_next->next)->has_changes);
  EXPECT_EQ(manager_->Changes(bob, bob_start->next)->changed,
            std::vector<std::string>{"@alice:localhost"});
  EXPECT_TRUE(manager_->Changes(bob, bob_next->next)->changed.empty());
  // Alice's own counts come with every sync of her device.
  json own = json::parse(Sync(lists, alice, 0)->json);
  EXPECT_EQ(own["device_one_time_keys_count"], (json{{"signed_curve25519", 2}}));

  // Alice's session is revoked (session.revoked heard): her device's keys
  // go, and Bob hears of the change.
  events::v1::SessionRevoked revoked;
  revoked.set_session_id(alice.session_id);
  revoked.set_user_id(alice_);
  auto event = bus::MakeEvent("session.revoked", "session", revoked, SystemClock::Instance(),
                              SecureRng::Instance());
  ASSERT_TRUE(event.ok());
  auto applied = bus::ApplyEventOnce(
      *pool_, "messaging_e2ee_sessions", *event,
      [this](const bus::Event& e, pg::Tx& tx) { return manager_->OnSessionEvent(e, tx); });
  ASSERT_TRUE(applied.ok() && *applied) << applied.status();
  EXPECT_TRUE(TakeWoken().contains(bob_));
  auto bob_after = Sync(lists, bob, bob_next->next);
  EXPECT_TRUE(bob_after->has_changes);
  EXPECT_EQ(Query(bob, {{"@alice:localhost", json::array()}})["device_keys"]["@alice:localhost"],
            json::object());
  EXPECT_EQ(json::parse(Sync(lists, alice, 0)->json)["device_one_time_keys_count"], json::object());
}

}  // namespace
}  // namespace messenger::messaging
