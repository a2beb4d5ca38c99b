// Matrix account state against a real PostgreSQL: account data and its sync
// section, m.direct computed from direct rooms, push rules, aliases, the
// public room directory and profile changes written as member events.
#include <gtest/gtest.h>

#include <mutex>

#include "common/bus/consumer.h"
#include "common/pg/migrations.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/service/account_data.h"
#include "messaging-service/src/service/account_directory.h"
#include "messaging-service/src/service/account_profile_members.h"
#include "messaging-service/src/service/account_sync_section.h"
#include "messaging-service/src/storage/pg_account_store.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/messaging_pg_fixture.h"
#include "messaging_migrations.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

using nlohmann::json;

// Everyone is everyone's friend here; the contact policy has its own tests.
class AccountStoreTest : public testing_users::MessagingPgFixture<> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(8));
    announcer_.SetPublisher([this](const std::string& payload) {
      std::lock_guard lock(mutex_);
      wakes_.push_back(payload);
    });
    accounts_ = std::make_unique<PgAccountStore>(*pool_);
    account_ = std::make_unique<AccountDataManager>(*accounts_, *manager_, announcer_, "localhost",
                                                    AccountLimits{.max_content_bytes = 1024});
    directory_ = std::make_unique<AccountDirectory>(*accounts_, *store_, *manager_, "localhost",
                                                    SystemClock::Instance());
    section_ = std::make_unique<AccountDataSyncSection>(*accounts_, *account_);
    alice_ = LocalUser("alice");
    bob_ = LocalUser("bob");
  }

  std::string PublicRoom(const std::string& creator, const std::string& name) {
    MatrixRoomInput in;
    in.creator_id = creator;
    in.preset = "public_chat";
    in.name = name;
    auto room = manager_->CreateMatrixRoom(in);
    EXPECT_TRUE(room.ok()) << room.status();
    return room.ok() ? room->room_id : "";
  }

  absl::StatusOr<json> Sync(const std::string& user, int64_t since, int64_t* next) {
    ASSIGN_OR_RETURN(UserSyncOutput out,
                     section_->Collect({user, "dev", since, /*initial=*/since == 0}));
    *next = out.next;
    json parsed = json::parse(out.json);
    parsed["has_changes"] = out.has_changes;
    return parsed;
  }

  // The global account data events of a sync answer, by type.
  static std::map<std::string, json> Global(const json& sync) {
    std::map<std::string, json> out;
    if (!sync.contains("account_data")) return out;
    for (const auto& e : sync["account_data"]["events"]) out[e["type"]] = e["content"];
    return out;
  }

  bool WokeUp(const std::string& user) {
    std::lock_guard lock(mutex_);
    for (const auto& w : wakes_) {
      if (w.find(user) != std::string::npos) return true;
    }
    return false;
  }

  std::mutex mutex_;
  std::vector<std::string> wakes_;
  std::unique_ptr<PgAccountStore> accounts_;
  std::unique_ptr<AccountDataManager> account_;
  std::unique_ptr<AccountDirectory> directory_;
  std::unique_ptr<AccountDataSyncSection> section_;
  std::string alice_, bob_;
};

TEST_F(AccountStoreTest, AccountDataRoundTripsAndSyncsOncePerChange) {
  EXPECT_TRUE(absl::IsNotFound(account_->Get(alice_, "", "org.example.a").status()));
  ASSERT_TRUE(account_->Put(alice_, "", "org.example.a", R"({"x":1})").ok());
  EXPECT_TRUE(WokeUp(alice_));
  EXPECT_EQ(json::parse(*account_->Get(alice_, "", "org.example.a")), json({{"x", 1}}));
  const std::string room = PublicRoom(alice_, "tea");
  ASSERT_TRUE(account_->Put(alice_, room, "m.tag", R"({"tags":{}})").ok());

  int64_t next = 0;
  auto initial = Sync(alice_, 0, &next);
  ASSERT_TRUE(initial.ok()) << initial.status();
  auto global = Global(*initial);
  EXPECT_EQ(global["org.example.a"], json({{"x", 1}}));
  ASSERT_TRUE(global.count("m.push_rules"));
  EXPECT_TRUE(global["m.push_rules"]["global"]["override"].is_array());
  EXPECT_EQ((*initial)["rooms"]["join"][room]["account_data"]["events"][0]["type"], "m.tag");

  int64_t after = 0;
  auto quiet = Sync(alice_, next, &after);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE((*quiet)["has_changes"].get<bool>());
  EXPECT_EQ(after, next);

  ASSERT_TRUE(account_->Put(alice_, "", "org.example.b", R"({"y":2})").ok());
  auto changed = Sync(alice_, next, &after);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE((*changed)["has_changes"].get<bool>());
  auto events = Global(*changed);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(events["org.example.b"], json({{"y", 2}}));
  EXPECT_GT(after, next);
  // Bob sees none of it.
  EXPECT_TRUE(absl::IsNotFound(account_->Get(bob_, "", "org.example.a").status()));
}

// The section reads rows, version and direct rooms in one statement: a full
// page (100 rows) ends at its last row, the rest comes with the next sync,
// then nothing.
TEST_F(AccountStoreTest, AFullPageOfAccountDataEndsAtItsLastRowAndTheRestComesNext) {
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(
        account_->Put(alice_, "", "org.example.n" + std::to_string(i), R"({"i":1})").ok());
  }
  const auto ours = [](const json& sync) {
    size_t n = 0;
    for (const auto& [type, content] : Global(sync)) n += type.starts_with("org.example.n");
    return n;
  };
  int64_t first_next = 0, second_next = 0, third_next = 0;
  auto first = Sync(alice_, 0, &first_next);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(ours(*first), 100u);
  auto second = Sync(alice_, first_next, &second_next);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ours(*second), 50u);
  EXPECT_GT(second_next, first_next);
  auto third = Sync(alice_, second_next, &third_next);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_FALSE((*third)["has_changes"].get<bool>());
  EXPECT_EQ(third_next, second_next);
}

TEST_F(AccountStoreTest, AccountDataRefusals) {
  EXPECT_TRUE(absl::IsFailedPrecondition(account_->Put(alice_, "", "m.fully_read", "{}")));
  EXPECT_TRUE(absl::IsFailedPrecondition(account_->Put(alice_, "", "m.push_rules", "{}")));
  EXPECT_TRUE(absl::IsOutOfRange(
      account_->Put(alice_, "", "org.big", R"({"a":")" + std::string(2000, 'x') + R"("})")));
  EXPECT_TRUE(absl::IsInvalidArgument(account_->Put(alice_, "", "org.list", "[1]")));
  EXPECT_TRUE(absl::IsInvalidArgument(account_->Put(alice_, "", "", "{}")));
  EXPECT_TRUE(absl::IsPermissionDenied(account_->Put(alice_, "!nope:localhost", "m.tag", "{}")));
  const std::string room = PublicRoom(alice_, "mine");
  EXPECT_TRUE(absl::IsPermissionDenied(account_->Put(bob_, room, "m.tag", "{}")));
}

TEST_F(AccountStoreTest, DirectRoomsShowInMDirectOfBothUsers) {
  int64_t alice_cursor = 0, bob_cursor = 0;
  ASSERT_TRUE(Sync(alice_, 0, &alice_cursor).ok());
  ASSERT_TRUE(Sync(bob_, 0, &bob_cursor).ok());
  auto sent = manager_->Send({alice_, "dev", bob_, std::nullopt, "hi", "c1"});
  ASSERT_TRUE(sent.ok()) << sent.status();
  const std::string room = sent->message.room_id;

  auto alice = Sync(alice_, alice_cursor, &alice_cursor);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_TRUE((*alice)["has_changes"].get<bool>());
  EXPECT_EQ(Global(*alice)["m.direct"], json({{"@bob:localhost", {room}}}));
  auto bob = Sync(bob_, bob_cursor, &bob_cursor);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(Global(*bob)["m.direct"], json({{"@alice:localhost", {room}}}));
  EXPECT_EQ(json::parse(*account_->Get(bob_, "", "m.direct")),
            json({{"@alice:localhost", {room}}}));
  // A client's own m.direct entries are kept beside the computed ones.
  ASSERT_TRUE(account_->Put(bob_, "", "m.direct", R"({"@carol:elsewhere":["!x:elsewhere"]})").ok());
  EXPECT_EQ(json::parse(*account_->Get(bob_, "", "m.direct")),
            json({{"@alice:localhost", {room}}, {"@carol:elsewhere", {"!x:elsewhere"}}}));
}

TEST_F(AccountStoreTest, PushRulesDefaultsAndUserRules) {
  auto rules = account_->PushRules(alice_);
  ASSERT_TRUE(rules.ok()) << rules.status();
  const json& override_rules = (*rules)["global"]["override"];
  EXPECT_EQ(override_rules[0]["rule_id"], ".m.rule.master");
  EXPECT_EQ(override_rules[0]["enabled"], false);
  EXPECT_EQ((*rules)["global"]["underride"].back()["rule_id"], ".m.rule.encrypted");

  const json body = {{"actions", {"notify"}}, {"conditions", json::array()}};
  ASSERT_TRUE(
      account_->PutPushRule(alice_, "override", "a", body, std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(
      account_->PutPushRule(alice_, "override", "b", body, std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(account_->PutPushRule(alice_, "override", "c", body, std::nullopt, "b").ok());
  // User rules follow .m.rule.master, newest first unless placed.
  rules = account_->PushRules(alice_);
  std::vector<std::string> ids;
  for (const auto& r : (*rules)["global"]["override"]) ids.push_back(r["rule_id"]);
  EXPECT_EQ(
      std::vector<std::string>(ids.begin(), ids.begin() + 5),
      (std::vector<std::string>{".m.rule.master", "b", "c", "a", ".m.rule.suppress_notices"}));

  ASSERT_TRUE(account_->UpdatePushRule(alice_, "override", "a", false, std::nullopt).ok());
  ASSERT_TRUE(
      account_->UpdatePushRule(alice_, "override", ".m.rule.master", true, json::array()).ok());
  ASSERT_TRUE(
      account_
          ->UpdatePushRule(alice_, "underride", ".m.rule.message", std::nullopt,
                           json::array({"notify", {{"set_tweak", "sound"}, {"value", "x"}}}))
          .ok());
  rules = account_->PushRules(alice_);
  EXPECT_EQ(push::FindRule(*rules, "override", "a")->at("enabled"), false);
  EXPECT_EQ(push::FindRule(*rules, "override", ".m.rule.master")->at("enabled"), true);
  EXPECT_EQ(push::FindRule(*rules, "underride", ".m.rule.message")->at("actions").size(), 2u);

  EXPECT_TRUE(
      absl::IsInvalidArgument(account_->DeletePushRule(alice_, "override", ".m.rule.master")));
  EXPECT_TRUE(absl::IsNotFound(account_->DeletePushRule(alice_, "override", "zzz")));
  EXPECT_TRUE(
      absl::IsNotFound(account_->PutPushRule(alice_, "override", "d", body, "zzz", std::nullopt)));
  EXPECT_TRUE(absl::IsInvalidArgument(account_->PutPushRule(
      alice_, "override", "e", {{"actions", 3}}, std::nullopt, std::nullopt)));
  ASSERT_TRUE(account_->DeletePushRule(alice_, "override", "a").ok());
  EXPECT_FALSE(push::FindRule(*account_->PushRules(alice_), "override", "a").has_value());
  // Bob's rules are untouched.
  EXPECT_FALSE(push::FindRule(*account_->PushRules(bob_), "override", "b").has_value());
}

TEST_F(AccountStoreTest, AliasesAndPublicRooms) {
  const std::string tea = PublicRoom(alice_, "Tea lovers");
  const std::string chess = PublicRoom(alice_, "Chess");
  ASSERT_TRUE(directory_->PutAlias(alice_, "#tea:localhost", tea).ok());
  absl::StatusOr<RoomAliasAnswer> resolved = directory_->ResolveAlias("#tea:localhost");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->room_id, tea);
  EXPECT_EQ(resolved->servers, std::vector<std::string>{"localhost"});  // no other server in it
  EXPECT_TRUE(absl::IsAlreadyExists(directory_->PutAlias(alice_, "#tea:localhost", chess)));
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->PutAlias(alice_, "#tea:elsewhere", tea)));
  EXPECT_TRUE(absl::IsPermissionDenied(directory_->PutAlias(bob_, "#b:localhost", tea)));
  EXPECT_TRUE(absl::IsNotFound(directory_->ResolveAlias("#none:localhost").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->ResolveAlias("tea:localhost").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->ResolveAlias("#tea:").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->ResolveAlias("#tea:no/such").status()));
  // The spec's bound: 255 bytes in all (a longer one is refused, not looked up).
  const std::string longest = "#" + std::string(255 - 11, 'a') + ":localhost";
  ASSERT_EQ(longest.size(), 255u);
  EXPECT_TRUE(absl::IsNotFound(directory_->ResolveAlias(longest).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->ResolveAlias("#a" + longest.substr(1)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->PutAlias(alice_, "#a" + longest.substr(1), tea)));
  // Another server's alias is asked of it (federation), when it can be.
  EXPECT_TRUE(absl::IsNotFound(directory_->ResolveAlias("#tea:elsewhere").status()));
  std::vector<std::string> asked;
  directory_->SetRemoteAliases([&](const std::string& alias) -> absl::StatusOr<RoomAliasAnswer> {
    asked.push_back(alias);
    return RoomAliasAnswer{"!r:elsewhere", {"elsewhere", "third"}};
  });
  resolved = directory_->ResolveAlias("#tea:elsewhere");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->room_id, "!r:elsewhere");
  EXPECT_EQ(resolved->servers, (std::vector<std::string>{"elsewhere", "third"}));
  EXPECT_EQ(directory_->ResolveAlias("#tea:localhost")->room_id, tea);  // ours: never asked
  EXPECT_EQ(asked, std::vector<std::string>{"#tea:elsewhere"});
  EXPECT_EQ(*directory_->AliasesOf(alice_, tea), std::vector<std::string>{"#tea:localhost"});
  EXPECT_TRUE(absl::IsPermissionDenied(directory_->DeleteAlias(bob_, "#tea:localhost")));
  ASSERT_TRUE(directory_->DeleteAlias(alice_, "#tea:localhost").ok());
  EXPECT_TRUE(absl::IsNotFound(directory_->ResolveAlias("#tea:localhost").status()));

  EXPECT_FALSE(*directory_->IsPublished(tea));
  EXPECT_TRUE(absl::IsPermissionDenied(directory_->SetPublished(bob_, tea, true)));
  ASSERT_TRUE(directory_->SetPublished(alice_, tea, true).ok());
  ASSERT_TRUE(directory_->SetPublished(alice_, chess, true).ok());
  EXPECT_TRUE(*directory_->IsPublished(tea));

  auto first = directory_->PublicRooms({1, "", ""});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->rooms.size(), 1u);
  EXPECT_EQ(first->total, 2);
  ASSERT_TRUE(first->next_batch.has_value());
  EXPECT_FALSE(first->prev_batch.has_value());
  auto second = directory_->PublicRooms({1, *first->next_batch, ""});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->rooms.size(), 1u);
  EXPECT_NE(second->rooms[0].room_id, first->rooms[0].room_id);
  EXPECT_FALSE(second->next_batch.has_value());
  EXPECT_TRUE(second->prev_batch.has_value());

  auto search = directory_->PublicRooms({10, "", "TEA"});
  ASSERT_TRUE(search.ok());
  ASSERT_EQ(search->rooms.size(), 1u);
  EXPECT_EQ(search->rooms[0].room_id, tea);
  EXPECT_EQ(search->rooms[0].name, "Tea lovers");
  EXPECT_EQ(search->rooms[0].joined_members, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(directory_->PublicRooms({1, "bogus", ""}).status()));
}

TEST_F(AccountStoreTest, ProfileChangeBecomesMemberEventsInEveryJoinedRoom) {
  ProfileMemberWriter writer(*accounts_, *manager_);
  std::vector<std::string> rooms;
  // More rooms than one batch: the job takes several turns.
  for (int i = 0; i < ProfileMemberWriter::kBatchRooms + 3; ++i) {
    rooms.push_back(PublicRoom(alice_, "r" + std::to_string(i)));
  }
  events::v1::ProfileUpdated data;
  data.set_user_id(alice_);
  data.set_display_name("Alice A.");
  auto event = bus::MakeEvent("profile.updated", "profile", data, SystemClock::Instance(),
                              SecureRng::Instance());
  auto apply = [&] {
    return bus::ApplyEventOnce(
        *pool_, "messaging_profiles", *event,
        [&](const bus::Event& e, pg::Tx& tx) { return writer.OnProfileUpdated(e, tx); });
  };
  ASSERT_TRUE(*apply());
  EXPECT_FALSE(*apply());  // a redelivery does nothing
  int batches = 0;
  while (true) {
    auto worked = writer.RunOnce();
    ASSERT_TRUE(worked.ok()) << worked.status();
    if (!*worked) break;
    ASSERT_LT(++batches, 10);
  }
  EXPECT_EQ(batches, 2);
  auto count_members = [&](const std::string& room) {
    auto state = manager_->MatrixRoomState(alice_, room);
    EXPECT_TRUE(state.ok());
    for (const auto& e : *state) {
      if (e.type() == "m.room.member" && e.state_key() == "@alice:localhost") {
        return e.content().value("displayname", "");
      }
    }
    return std::string();
  };
  for (const auto& room : rooms) EXPECT_EQ(count_members(room), "Alice A.") << room;
  // Done: the same profile again writes nothing new.
  auto events_before = pool_->Exec(pg::Query{"t_count", "SELECT count(*) FROM events"});
  ASSERT_TRUE(events_before.ok());
  ASSERT_TRUE(accounts_
                  ->Transaction([&](AccountTx& tx) {
                    return tx.QueueProfileUpdate({alice_, "Alice A.", std::nullopt, "", 0});
                  })
                  .ok());
  while (*writer.RunOnce()) {
  }
  auto events_after = pool_->Exec(pg::Query{"t_count", "SELECT count(*) FROM events"});
  EXPECT_EQ(events_after->GetInt64(0, 0), events_before->GetInt64(0, 0));
}

}  // namespace
}  // namespace messenger::messaging
