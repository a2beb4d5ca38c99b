// The servers of a room come from its current state: joined members only,
// each server once, this server left out.
#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/src/domain/matrix/room_servers.h"
#include "messaging-service/src/domain/matrix/server_acl.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kServer[] = "example.org";
constexpr char kAlice[] = "@alice:example.org";

class RoomServersTest : public ::testing::Test {
 protected:
  RoomServersTest() : key_(*Ed25519Key::FromSeed(std::string(32, '\x03'), "k1")) {
    NewRoomOptions options;
    options.room_id = "!abcdefghijklmnopqr:example.org";
    options.creator = kAlice;
    options.origin_server_ts = ts_;
    room_ = std::move(CreateRoom(options, kServer, key_)->room);
  }

  // `sender` acts from its own server (the key does not matter here).
  void Member(const std::string& sender, const std::string& target, const std::string& membership) {
    absl::StatusOr<std::string> server = ServerNameOf(sender);
    ASSERT_TRUE(server.ok());
    absl::StatusOr<Event> event =
        room_.Append({sender, kMemberType, target, Json{{"membership", membership}}, std::nullopt},
                     ++ts_, *server, key_);
    ASSERT_TRUE(event.ok()) << event.status();
  }

  Ed25519Key key_;
  int64_t ts_ = 1700000000000;
  Room room_{""};
};

TEST_F(RoomServersTest, OnlyTheCreatorsServer) {
  EXPECT_TRUE(JoinedServers(room_.state(), kServer).empty());
  EXPECT_EQ(JoinedServers(room_.state(), "other.test"), std::vector<std::string>{kServer});
}

TEST_F(RoomServersTest, JoinedRemoteMembersOnceEachInvitedAndLeftNot) {
  Member(kAlice, "@bob:b.test", "invite");
  Member(kAlice, "@carol:a.test", "invite");
  Member(kAlice, "@dan:a.test", "invite");
  Member(kAlice, "@erin:c.test", "invite");
  EXPECT_TRUE(JoinedServers(room_.state(), kServer).empty());  // invited is not joined

  Member("@bob:b.test", "@bob:b.test", "join");
  Member("@carol:a.test", "@carol:a.test", "join");
  Member("@dan:a.test", "@dan:a.test", "join");
  EXPECT_EQ(JoinedServers(room_.state(), kServer), (std::vector<std::string>{"a.test", "b.test"}));

  Member("@carol:a.test", "@carol:a.test", "leave");
  EXPECT_EQ(JoinedServers(room_.state(), kServer), (std::vector<std::string>{"a.test", "b.test"}));
  Member("@dan:a.test", "@dan:a.test", "leave");
  EXPECT_EQ(JoinedServers(room_.state(), kServer), std::vector<std::string>{"b.test"});
}

TEST_F(RoomServersTest, ServersTheAclDeniesGetNothing) {
  Member(kAlice, "@bob:b.test", "invite");
  Member(kAlice, "@carol:a.test", "invite");
  Member("@bob:b.test", "@bob:b.test", "join");
  Member("@carol:a.test", "@carol:a.test", "join");
  absl::StatusOr<Event> acl = room_.Append(
      {kAlice, kServerAclType, "",
       Json{{"allow", Json::array({"*"})}, {"deny", Json::array({"A.TEST"})}}, std::nullopt},
      ++ts_, kServer, key_);
  ASSERT_TRUE(acl.ok()) << acl.status();
  EXPECT_EQ(JoinedServers(room_.state(), kServer), std::vector<std::string>{"b.test"});
}

}  // namespace
}  // namespace messenger::matrix
