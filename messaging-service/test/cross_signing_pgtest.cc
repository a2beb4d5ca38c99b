// Cross-signing (issue 14): keys/device_signing/upload, keys/signatures/upload
// and what keys/query answers of them, with E2eeManager on a real
// PostgreSQL and real ed25519 keys.
#include "common/crypto.h"
#include "messaging-service/src/domain/cross_signing.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/test/e2ee_store_fixture.h"

namespace messenger::messaging {
namespace {

struct TestKey {
  matrix::Ed25519Key key;
  std::string pub;  // unpadded base64
};

TestKey NewKey() {
  absl::StatusOr<matrix::Ed25519Key> key = matrix::Ed25519Key::Generate(SecureRng::Instance(), "k");
  EXPECT_TRUE(key.ok());
  return {*key, key->public_key_base64()};
}

// Adds signatures[signer]["ed25519:<name>"] by `key` to `object`.
void Sign(json& object, const std::string& signer, const std::string& name, const TestKey& key) {
  absl::StatusOr<std::string> bytes = matrix::CanonicalJson(SignedPart(object));
  ASSERT_TRUE(bytes.ok());
  object["signatures"][signer]["ed25519:" + name] = Base64Encode(key.key.Sign(*bytes));
}

json CrossKey(const std::string& user, const char* usage, const TestKey& key) {
  return {{"user_id", user},
          {"usage", json::array({usage})},
          {"keys", {{"ed25519:" + key.pub, key.pub}}}};
}

// A user's three cross-signing keys, the others signed by the master key.
struct KeySet {
  TestKey master = NewKey(), self_signing = NewKey(), user_signing = NewKey();

  json Body(const std::string& user) const {
    json ssk = CrossKey(user, kSelfSigningUsage, self_signing);
    json usk = CrossKey(user, kUserSigningUsage, user_signing);
    Sign(ssk, user, master.pub, master);
    Sign(usk, user, master.pub, master);
    return {{"master_key", CrossKey(user, kMasterUsage, master)},
            {"self_signing_key", ssk},
            {"user_signing_key", usk}};
  }
};

class CrossSigningTest : public E2eeStoreTest {
 protected:
  void SetUp() override {
    E2eeStoreTest::SetUp();
    alice_dev_ = Caller(alice_, "alice", "ADEV");
    bob_dev_ = Caller(bob_, "bob", "BDEV");
    carol_dev_ = Caller(carol_, "carol", "CDEV");
  }

  absl::StatusOr<bool> UploadSigning(const E2eeCaller& c, const json& body, bool password) {
    return manager_->UploadSigningKeys(c, body.dump(), password);
  }

  json Signatures(const E2eeCaller& c, const json& body) {
    auto answer = manager_->UploadSignatures(c, body.dump());
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? json::parse(*answer) : json();
  }

  // Device keys of `c` with a real ed25519 key, self-signed by the device.
  json RealDeviceKeys(const E2eeCaller& c, const TestKey& device_key) {
    json keys = DeviceKeys(c);
    keys.erase("signatures");
    keys["keys"]["ed25519:" + c.device_id] = device_key.pub;
    Sign(keys, c.matrix_user_id, c.device_id, device_key);
    return keys;
  }

  E2eeCaller alice_dev_, bob_dev_, carol_dev_;  // once SetUp made the users
  const std::string alice_id_ = "@alice:localhost";
  const std::string bob_id_ = "@bob:localhost";
};

TEST_F(CrossSigningTest, UploadedKeysShowInQueryToRoomMatesAndChangeTheirDeviceLists) {
  KeySet keys;
  const json body = keys.Body(alice_id_);
  auto stored = UploadSigning(alice_dev_, body, false);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(*stored) << "a first upload needs no password";

  const json asked = {{alice_id_, json::array()}};
  json by_bob = Query(bob_dev_, asked);
  EXPECT_EQ(by_bob["master_keys"][alice_id_], body["master_key"]);
  EXPECT_EQ(by_bob["self_signing_keys"][alice_id_], body["self_signing_key"]);
  EXPECT_EQ(by_bob["user_signing_keys"], json::object()) << "only the owner sees it";
  json by_alice = Query(alice_dev_, asked);
  EXPECT_EQ(by_alice["user_signing_keys"][alice_id_], body["user_signing_key"]);
  json by_carol = Query(carol_dev_, asked);
  EXPECT_EQ(by_carol["master_keys"], json::object()) << "Carol shares no room with Alice";

  auto changes = manager_->Changes(bob_dev_, 0);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_NE(std::find(changes->changed.begin(), changes->changed.end(), alice_id_),
            changes->changed.end());
  // Servers (federation keys/query) get master and self-signing keys.
  auto for_server = manager_->QueryKeysForServer(json{{"device_keys", asked}}.dump());
  ASSERT_TRUE(for_server.ok()) << for_server.status();
  EXPECT_EQ(json::parse(*for_server)["master_keys"][alice_id_], body["master_key"]);
  EXPECT_FALSE(json::parse(*for_server).contains("user_signing_keys"));
  auto devices = manager_->UserDevices(alice_id_);
  ASSERT_TRUE(devices.ok()) << devices.status();
  EXPECT_EQ(json::parse(*devices)["master_key"], body["master_key"]);
  EXPECT_EQ(json::parse(*devices)["self_signing_key"], body["self_signing_key"]);
}

TEST_F(CrossSigningTest, BadKeysAndSignaturesAreRefusedAndNothingStored) {
  KeySet keys;
  json forged = keys.Body(alice_id_);
  forged["self_signing_key"].erase("signatures");
  Sign(forged["self_signing_key"], alice_id_, keys.master.pub, NewKey());
  EXPECT_EQ(UploadSigning(alice_dev_, forged, true).status().code(),
            absl::StatusCode::kUnauthenticated);
  json unsigned_key = keys.Body(alice_id_);
  unsigned_key["user_signing_key"].erase("signatures");
  EXPECT_EQ(UploadSigning(alice_dev_, unsigned_key, true).status().code(),
            absl::StatusCode::kUnauthenticated);
  json wrong_usage = keys.Body(alice_id_);
  wrong_usage["master_key"]["usage"] = json::array({"self_signing"});
  EXPECT_EQ(UploadSigning(alice_dev_, wrong_usage, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UploadSigning(bob_dev_, keys.Body(alice_id_), true).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "keys of another user";
  json two_keys = keys.Body(alice_id_);
  two_keys["master_key"]["keys"]["ed25519:other"] = "other";
  EXPECT_EQ(UploadSigning(alice_dev_, two_keys, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UploadSigning(alice_dev_, json::object(), true).status().code(),
            absl::StatusCode::kInvalidArgument);
  json no_master = keys.Body(alice_id_);
  no_master.erase("master_key");
  EXPECT_EQ(UploadSigning(alice_dev_, no_master, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Query(alice_dev_, {{alice_id_, json::array()}})["master_keys"], json::object());
}

TEST_F(CrossSigningTest, ReplacingKeysNeedsThePasswordButARetryDoesNot) {
  KeySet first, second;
  ASSERT_TRUE(*UploadSigning(alice_dev_, first.Body(alice_id_), false));
  auto retry = UploadSigning(alice_dev_, first.Body(alice_id_), false);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(*retry) << "the same keys again are a retry";
  auto replace = UploadSigning(alice_dev_, second.Body(alice_id_), false);
  ASSERT_TRUE(replace.ok()) << replace.status();
  EXPECT_FALSE(*replace) << "replacing the master key needs the password";
  const json asked = {{alice_id_, json::array()}};
  EXPECT_EQ(Query(bob_dev_, asked)["master_keys"][alice_id_],
            first.Body(alice_id_)["master_key"]);
  ASSERT_TRUE(*UploadSigning(alice_dev_, second.Body(alice_id_), true));
  EXPECT_EQ(Query(bob_dev_, asked)["master_keys"][alice_id_],
            second.Body(alice_id_)["master_key"]);
  // A self-signing key alone, signed by the stored master key.
  json ssk_only = first.Body(alice_id_);
  ssk_only.erase("master_key");
  EXPECT_EQ(UploadSigning(alice_dev_, ssk_only, true).status().code(),
            absl::StatusCode::kUnauthenticated)
      << "signed by the replaced master key";
}

TEST_F(CrossSigningTest, SignaturesAreCheckedAndMergedIntoTheSignedKeys) {
  const TestKey device_key = NewKey();
  Upload(alice_dev_, {{"device_keys", RealDeviceKeys(alice_dev_, device_key)}});
  KeySet keys;
  ASSERT_TRUE(*UploadSigning(alice_dev_, keys.Body(alice_id_), false));
  auto before = manager_->Changes(bob_dev_, 0);
  ASSERT_TRUE(before.ok());

  json device = RealDeviceKeys(alice_dev_, device_key);
  Sign(device, alice_id_, keys.self_signing.pub, keys.self_signing);
  json master = CrossKey(alice_id_, kMasterUsage, keys.master);
  Sign(master, alice_id_, "ADEV", device_key);
  json forged = RealDeviceKeys(alice_dev_, device_key);
  Sign(forged, alice_id_, keys.self_signing.pub, NewKey());
  json answer =
      Signatures(alice_dev_, {{alice_id_, {{"ADEV", device}, {keys.master.pub, master}}}});
  EXPECT_EQ(answer, (json{{"failures", json::object()}}));
  answer = Signatures(alice_dev_, {{alice_id_, {{"ADEV", forged}, {"NODEV", device}}}});
  EXPECT_EQ(answer["failures"][alice_id_]["ADEV"]["errcode"], "M_INVALID_SIGNATURE");
  EXPECT_EQ(answer["failures"][alice_id_]["NODEV"]["errcode"], "M_NOT_FOUND");

  json by_bob = Query(bob_dev_, {{alice_id_, json::array()}});
  EXPECT_EQ(by_bob["device_keys"][alice_id_]["ADEV"], device) << "the valid signature only";
  EXPECT_EQ(by_bob["master_keys"][alice_id_]["signatures"][alice_id_]["ed25519:ADEV"],
            master["signatures"][alice_id_]["ed25519:ADEV"]);
  EXPECT_TRUE(CheckSignedBy(by_bob["device_keys"][alice_id_]["ADEV"], alice_id_,
                            keys.self_signing.pub, keys.self_signing.pub)
                  .ok());
}

TEST_F(CrossSigningTest, AUserSigningSignatureIsSeenByItsSignerOnly) {
  KeySet alice_keys, bob_keys;
  ASSERT_TRUE(*UploadSigning(alice_dev_, alice_keys.Body(alice_id_), false));
  ASSERT_TRUE(*UploadSigning(bob_dev_, bob_keys.Body(bob_id_), false));
  json bob_master = CrossKey(bob_id_, kMasterUsage, bob_keys.master);
  Sign(bob_master, alice_id_, alice_keys.user_signing.pub, alice_keys.user_signing);
  EXPECT_EQ(Signatures(alice_dev_, {{bob_id_, {{bob_keys.master.pub, bob_master}}}}),
            (json{{"failures", json::object()}}));
  // Carol has no user-signing key: her signature is refused.
  EXPECT_EQ(Signatures(carol_dev_, {{bob_id_, {{bob_keys.master.pub, bob_master}}}})
                ["failures"][bob_id_][bob_keys.master.pub]["errcode"],
            "M_INVALID_SIGNATURE");

  const json asked = {{bob_id_, json::array()}};
  EXPECT_EQ(Query(alice_dev_, asked)["master_keys"][bob_id_]["signatures"][alice_id_],
            bob_master["signatures"][alice_id_]);
  EXPECT_FALSE(Query(bob_dev_, asked)["master_keys"][bob_id_]["signatures"].contains(alice_id_));
}

}  // namespace
}  // namespace messenger::messaging
