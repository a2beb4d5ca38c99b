// End-to-end encryption across servers (fede2ee) against a real PostgreSQL:
// to-device messages and device-list changes queued for other servers in the
// outgoing federation queue, and those other servers send us.
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/test/e2ee_store_fixture.h"

namespace messenger::messaging {
namespace {

constexpr char kOther[] = "other.test";
constexpr char kZed[] = "@zed:other.test";
constexpr pg::Query kQueued{
    "t_queued_edus",
    "SELECT destination, edu FROM federation_outgoing WHERE edu IS NOT NULL ORDER BY id"};

class E2eeFederationTest : public E2eeStoreTest {
 protected:
  // The EDUs queued for other servers: destination and the EDU.
  std::vector<std::pair<std::string, json>> Queued() {
    std::vector<std::pair<std::string, json>> out;
    absl::StatusOr<pg::Result> r = pool_->Exec(kQueued);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return out;
    for (int i = 0; i < r->rows(); ++i) {
      out.emplace_back(r->GetString(i, 0), json::parse(r->GetString(i, 1)));
    }
    return out;
  }

  // zed of other.test, joined in alice's and bob's room.
  std::string AddZed() {
    const std::string zed = federation::RemoteUserUuid(kZed);
    EXPECT_TRUE(pool_->Exec(kAddUser, {zed, kZed}).ok());
    EXPECT_TRUE(pool_->Exec(kAddMember, {"!r:localhost", zed, "join"}).ok());
    return zed;
  }
};

TEST_F(E2eeFederationTest, ToDeviceForRemoteUsersIsQueuedOncePerTxnId) {
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  const E2eeCaller bob = Caller(bob_, "bob", "B1");
  Upload(bob, {{"device_keys", DeviceKeys(bob)}});
  const json zeds = {{"Z1", {{"n", 2}}}, {"*", json::object()}};
  const std::string body =
      json{{"messages", {{"@bob:localhost", {{"B1", {{"n", 1}}}}}, {kZed, zeds}}}}.dump();
  ASSERT_TRUE(manager_->SendToDevice(alice, "m.test", "txn1", body).ok());
  ASSERT_TRUE(manager_->SendToDevice(alice, "m.test", "txn1", body).ok());  // a retry
  auto queued = Queued();
  ASSERT_EQ(queued.size(), 1u);  // once, despite the retry
  EXPECT_EQ(queued[0].first, kOther);
  const json& edu = queued[0].second;
  EXPECT_EQ(edu["edu_type"], "m.direct_to_device");
  EXPECT_EQ(edu["content"]["sender"], "@alice:localhost");
  EXPECT_EQ(edu["content"]["type"], "m.test");
  EXPECT_FALSE(edu["content"]["message_id"].get<std::string>().empty());
  EXPECT_EQ(edu["content"]["messages"], (json{{kZed, zeds}}));
  // The local recipient got its own, in the same transaction.
  ToDeviceSection section(*store_, 100);
  auto got = Sync(section, bob, 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(json::parse(got->json)["to_device"]["events"].size(), 1u);
}

TEST_F(E2eeFederationTest, IncomingToDeviceIsDeliveredOncePerMessageIdFromItsOwnServerOnly) {
  const E2eeCaller bob = Caller(bob_, "bob", "B1");
  Upload(bob, {{"device_keys", DeviceKeys(bob)}});
  const json content = {{"sender", kZed},
                        {"type", "m.room_key_request"},
                        {"message_id", "m1"},
                        {"messages", {{"@bob:localhost", {{"*", {{"k", "v"}}}}}}}};
  ASSERT_TRUE(manager_->ReceiveToDevice(kOther, content.dump()).ok());
  ASSERT_TRUE(manager_->ReceiveToDevice(kOther, content.dump()).ok());  // the EDU again
  // Another server may not speak for zed; malformed EDUs are refused.
  EXPECT_EQ(manager_->ReceiveToDevice("evil.test", content.dump()).code(),
            absl::StatusCode::kPermissionDenied);
  json no_id = content;
  no_id.erase("message_id");
  EXPECT_EQ(manager_->ReceiveToDevice(kOther, no_id.dump()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(manager_->ReceiveToDevice(kOther, "[1]").ok());
  ToDeviceSection section(*store_, 100);
  auto got = Sync(section, bob, 0);
  ASSERT_TRUE(got.ok()) << got.status();
  const json events = json::parse(got->json)["to_device"]["events"];
  ASSERT_EQ(events.size(), 1u) << events;
  EXPECT_EQ(events[0], (json{{"type", "m.room_key_request"},
                             {"sender", kZed},
                             {"content", {{"k", "v"}}}}));
}

TEST_F(E2eeFederationTest, DeviceListChangesGoToSharingServersAndComeBackAsChanges) {
  const std::string zed = AddZed();
  const E2eeCaller alice = Caller(alice_, "alice", "ADEV");
  const E2eeCaller carol = Caller(carol_, "carol", "CDEV");
  Upload(alice, {{"device_keys", DeviceKeys(alice)}});
  Upload(alice, {{"device_keys", DeviceKeys(alice)}});  // the same keys: no change
  Upload(carol, {{"device_keys", DeviceKeys(carol)}});  // no room with zed: nobody told
  auto queued = Queued();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].first, kOther);
  const json& edu = queued[0].second;
  EXPECT_EQ(edu["edu_type"], "m.device_list_update");
  EXPECT_EQ(edu["content"]["user_id"], "@alice:localhost");
  EXPECT_EQ(edu["content"]["device_id"], "ADEV");
  EXPECT_EQ(edu["content"]["deleted"], false);
  EXPECT_TRUE(edu["content"]["stream_id"].is_number_integer());

  // zed's server says zed's devices changed: alice and bob see it.
  auto before = manager_->Changes(alice, 0);
  ASSERT_TRUE(before.ok());
  const json update = {{"user_id", kZed}, {"device_id", "Z1"}, {"stream_id", 5}};
  TakeWoken();
  ASSERT_TRUE(manager_->ReceiveDeviceListUpdate(kOther, update.dump()).ok());
  EXPECT_EQ(TakeWoken(), (std::set<std::string>{zed, alice_, bob_}));
  EXPECT_EQ(manager_->ReceiveDeviceListUpdate("evil.test", update.dump()).code(),
            absl::StatusCode::kPermissionDenied);
  // A user of that server in no room here changes nothing.
  ASSERT_TRUE(manager_
                  ->ReceiveDeviceListUpdate(kOther, json{{"user_id", "@nobody:other.test"}}.dump())
                  .ok());
  auto changes = manager_->Changes(alice, 0);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_NE(std::find(changes->changed.begin(), changes->changed.end(), kZed),
            changes->changed.end());
  EXPECT_EQ(std::find(changes->changed.begin(), changes->changed.end(), "@nobody:other.test"),
            changes->changed.end());
  auto for_carol = manager_->Changes(carol, 0);
  ASSERT_TRUE(for_carol.ok());
  EXPECT_EQ(std::find(for_carol->changed.begin(), for_carol->changed.end(), kZed),
            for_carol->changed.end());
}

TEST_F(E2eeFederationTest, ServersGetLocalKeysAndDevicesWithoutRoomSharing) {
  const E2eeCaller carol = Caller(carol_, "carol", "CDEV");
  Upload(carol, {{"device_keys", DeviceKeys(carol)},
                 {"one_time_keys", OneTimeKeys(0, 1)}});
  auto keys = manager_->QueryKeysForServer(
      json{{"device_keys", {{"@carol:localhost", json::array()}, {kZed, json::array()}}}}.dump());
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(json::parse(*keys)["device_keys"]["@carol:localhost"]["CDEV"], DeviceKeys(carol));
  const std::string claim =
      json{{"one_time_keys", {{"@carol:localhost", {{"CDEV", "signed_curve25519"}}}}}}.dump();
  auto first = manager_->ClaimKeysForServer(claim);
  auto second = manager_->ClaimKeysForServer(claim);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(json::parse(*first)["one_time_keys"]["@carol:localhost"]["CDEV"].size(), 1u);
  EXPECT_FALSE(json::parse(*second)["one_time_keys"].contains("@carol:localhost"));
  auto devices = manager_->UserDevices("@carol:localhost");
  ASSERT_TRUE(devices.ok()) << devices.status();
  const json listed = json::parse(*devices);
  ASSERT_EQ(listed["devices"].size(), 1u);
  EXPECT_EQ(listed["devices"][0]["keys"], DeviceKeys(carol));
  EXPECT_GT(listed["stream_id"].get<int64_t>(), 0);
  EXPECT_EQ(json::parse(*manager_->UserDevices("@nobody:localhost"))["devices"], json::array());
  EXPECT_EQ(manager_->UserDevices(kZed).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->QueryKeysForServer("{").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace messenger::messaging
