// ProfileManager over PgProfileStore against a real PostgreSQL, including the
// idempotent user.* consumer.
#include <gtest/gtest.h>

#include "common/bus/consumer.h"
#include "common/pg/migrations.h"
#include "common/testing/testing.h"
#include "common/time_util.h"
#include "common_bus_migrations.h"
#include "messenger/events/v1/events.pb.h"
#include "profile-service/src/service/profile_manager.h"
#include "profile-service/src/storage/pg_profile_store.h"
#include "profile_migrations.h"

namespace messenger::profile {
namespace {

constexpr pg::Query kOutbox{"t_outbox", "SELECT subject, payload FROM outbox ORDER BY seq"};
constexpr pg::Query kCount{"t_count", "SELECT count(*) FROM profiles"};

class ProfileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status opened = testing::OpenTestDatabase(
        "profile", 4, {&pg::OutboxMigrations(), &pg::ProfileMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    store_ = std::make_unique<PgProfileStore>(*pool_, outbox_);
    manager_ = std::make_unique<ProfileManager>(*store_, clock_, SecureRng::Instance());
  }

  // What the consumer does with a delivered event.
  absl::StatusOr<bool> Deliver(const bus::Event& event) {
    return bus::ApplyEventOnce(*pool_, "profile_users", event,
                               [this](const bus::Event& e, pg::Tx& tx) {
                                 if (e.type == "user.created") return manager_->OnUserCreated(e, tx);
                                 if (e.type == "user.deactivated") {
                                   return manager_->OnUserDeactivated(e, tx);
                                 }
                                 return manager_->OnUserEmailVerified(e, tx);
                               });
  }

  bus::Event UserCreated(const std::string& user_id, const std::string& username) {
    events::v1::UserCreated data;
    data.set_user_id(user_id);
    data.set_username(username);
    ToProto(clock_.Now(), data.mutable_created_at());
    return *bus::MakeEvent("user.created", "auth", data, clock_, SecureRng::Instance());
  }

  std::string NewUser(const std::string& username) {
    std::string id = NewUuid(SecureRng::Instance());
    EXPECT_TRUE(*Deliver(UserCreated(id, username)));
    return id;
  }

  FakeClock clock_{absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()))};
  bus::Outbox outbox_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgProfileStore> store_;
  std::unique_ptr<ProfileManager> manager_;
};

TEST_F(ProfileStoreTest, UserCreatedTwiceMakesOneProfile) {
  const std::string id = NewUuid(SecureRng::Instance());
  bus::Event created = UserCreated(id, "alice");
  EXPECT_TRUE(*Deliver(created));
  EXPECT_FALSE(*Deliver(created));  // redelivery: recognised, nothing done
  auto count = pool_->Exec(kCount);
  EXPECT_EQ(count->GetInt64(0, 0), 1);
  auto profile = manager_->Get(id);
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->display_name, "alice");  // defaults to the username
  EXPECT_EQ(profile->version, 1);
  EXPECT_FALSE(profile->email_verified);
}

TEST_F(ProfileStoreTest, EmailVerifiedBeforeCreatedIsRetriedNotLost) {
  const std::string id = NewUuid(SecureRng::Instance());
  events::v1::UserEmailVerified data;
  data.set_user_id(id);
  bus::Event verified = *bus::MakeEvent("user.email_verified", "auth", data, clock_,
                                        SecureRng::Instance());
  auto early = Deliver(verified);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(*Deliver(UserCreated(id, "bob")));
  EXPECT_TRUE(*Deliver(verified));  // the retry now applies
  EXPECT_TRUE(manager_->Get(id)->email_verified);
}

TEST_F(ProfileStoreTest, UpdateValidatesBumpsVersionAndPublishes) {
  const std::string id = NewUser("carol");
  clock_.Advance(absl::Seconds(5));
  ProfileChanges changes;
  changes.display_name = "  Carol C.  ";
  changes.bio = "hello";
  auto updated = manager_->Update(id, changes);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->display_name, "Carol C.");
  EXPECT_EQ(updated->bio, "hello");
  EXPECT_EQ(updated->avatar_url, "");
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->updated_at, clock_.Now());

  ProfileChanges avatar_only;
  avatar_only.avatar_url = "mxc://localhost/abc";
  auto second = manager_->Update(id, avatar_only);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->display_name, "Carol C.");  // untouched
  EXPECT_EQ(second->version, 3);

  ProfileChanges bad;
  bad.avatar_url = "http://insecure.example.org/a.png";
  EXPECT_EQ(manager_->Update(id, bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Get(id)->version, 3);  // nothing half-written

  auto outbox = pool_->Exec(kOutbox);
  ASSERT_EQ(outbox->rows(), 2);
  auto payload = nlohmann::json::parse(outbox->Get(0, 1));
  EXPECT_EQ(outbox->GetString(0, 0), "profile.updated");
  EXPECT_EQ(payload["data"]["display_name"], "Carol C.");
  EXPECT_EQ(payload["data"]["bio"], "hello");
  EXPECT_EQ(payload["data"]["user_id"], id);

  EXPECT_EQ(manager_->Update(NewUuid(SecureRng::Instance()), changes).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ProfileStoreTest, AnAccountNotYetHeardOfGetsItsProfileFromAuth) {
  const std::string read_first = NewUuid(SecureRng::Instance());  // no user.created yet
  const std::string set_first = NewUuid(SecureRng::Instance());
  const std::string unknown = NewUuid(SecureRng::Instance());
  const std::string closed = NewUuid(SecureRng::Instance());
  EXPECT_TRUE(absl::IsNotFound(manager_->Get(read_first).status())) << "no lookup wired";
  std::vector<std::string> asked;
  manager_->SetAccountLookup([&](const std::string& user_id)
                                 -> absl::StatusOr<std::optional<AuthAccount>> {
    asked.push_back(user_id);
    if (user_id == unknown) return std::nullopt;
    return AuthAccount{user_id, user_id == read_first ? "dora" : "erin", clock_.Now(),
                       /*deactivated=*/user_id == closed};
  });

  auto read = manager_->Get(read_first);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->username, "dora");
  EXPECT_EQ(read->display_name, "dora");  // as user.created makes it
  EXPECT_EQ(read->version, 1);
  ProfileChanges changes;
  changes.display_name = "Erin E.";
  auto set = manager_->Update(set_first, changes);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->username, "erin");
  EXPECT_EQ(set->display_name, "Erin E.");
  EXPECT_EQ(pool_->Exec(kOutbox)->rows(), 1) << "the update's profile.updated, nothing else";

  // The events come later and find the profiles there: nothing lost or reset.
  EXPECT_TRUE(*Deliver(UserCreated(read_first, "dora")));
  EXPECT_TRUE(*Deliver(UserCreated(set_first, "erin")));
  EXPECT_EQ(manager_->Get(set_first)->display_name, "Erin E.");
  EXPECT_EQ(pool_->Exec(kCount)->GetInt64(0, 0), 2);
  EXPECT_EQ(asked, (std::vector<std::string>{read_first, set_first})) << "only on a miss";

  EXPECT_TRUE(absl::IsNotFound(manager_->Get(unknown).status()));
  EXPECT_TRUE(absl::IsNotFound(manager_->Update(unknown, changes).status()));
  EXPECT_TRUE(absl::IsNotFound(manager_->Get(closed).status())) << "a closed account: no profile";
  EXPECT_EQ(pool_->Exec(kCount)->GetInt64(0, 0), 2);
  manager_->SetAccountLookup([](const std::string&)
                                 -> absl::StatusOr<std::optional<AuthAccount>> {
    return absl::UnavailableError("auth down");
  });
  EXPECT_TRUE(absl::IsUnavailable(manager_->Get(unknown).status()));
}

TEST_F(ProfileStoreTest, BatchGetLeavesOutUnknownAndMalformedIds) {
  const std::string a = NewUser("dora"), b = NewUser("eve");
  auto found = manager_->GetMany({a, b, NewUuid(SecureRng::Instance()), "not-a-uuid"});
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 2u);
  EXPECT_TRUE(manager_->GetMany({})->empty());
}

TEST_F(ProfileStoreTest, SearchIsACaseInsensitivePrefixWithALimit) {
  for (const char* name : {"sam", "samantha", "samuel", "sa_m", "bob.sam", "SAMWISE"}) NewUser(name);
  auto found = manager_->Search("SaM", 10);
  ASSERT_TRUE(found.ok()) << found.status();
  std::vector<std::string> names;
  for (const auto& p : *found) names.push_back(p.username);
  EXPECT_EQ(names, (std::vector<std::string>{"sam", "samantha", "samuel", "SAMWISE"}));
  EXPECT_EQ(manager_->Search("sam", 2)->size(), 2u);
  // '_' is a literal, not a wildcard.
  auto underscore = manager_->Search("sa_", 10);
  ASSERT_EQ(underscore->size(), 1u);
  EXPECT_EQ((*underscore)[0].username, "sa_m");
  EXPECT_EQ(manager_->Search("", 10).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ProfileStoreTest, DeactivationLeavesSearchAndErasesOnceWhenAsked) {
  const std::string kept = NewUser("zed"), erased = NewUser("zoe");
  ProfileChanges changes;
  changes.display_name = "Zoe";
  changes.bio = "about me";
  changes.avatar_url = "mxc://localhost/zoe";
  ASSERT_TRUE(manager_->Update(erased, changes).ok());
  ASSERT_TRUE(manager_->Update(kept, changes).ok());
  auto deactivated = [&](const std::string& id, bool erase) {
    events::v1::UserDeactivated data;
    data.set_user_id(id);
    data.set_erase(erase);
    return *bus::MakeEvent("user.deactivated", "auth", data, clock_, SecureRng::Instance());
  };
  const int before = pool_->Exec(kOutbox)->rows();
  const bus::Event erase = deactivated(erased, true);
  ASSERT_TRUE(*Deliver(erase));
  EXPECT_FALSE(*Deliver(erase));
  ASSERT_TRUE(*Deliver(deactivated(erased, true))) << "a second event id";
  ASSERT_TRUE(*Deliver(deactivated(kept, false)));
  EXPECT_TRUE(manager_->Search("z", 10)->empty()) << "both left search";
  auto gone = manager_->Get(erased);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->display_name, "");
  EXPECT_EQ(gone->bio, "");
  EXPECT_EQ(gone->avatar_url, "");
  EXPECT_EQ(manager_->Get(kept)->display_name, "Zoe") << "no erase asked";
  auto outbox = pool_->Exec(kOutbox);
  ASSERT_EQ(outbox->rows(), before + 1) << "one profile.updated: the erasure";
  auto payload = nlohmann::json::parse(outbox->Get(before, 1));
  EXPECT_EQ(payload["data"]["user_id"], erased);
  EXPECT_EQ(payload["data"]["display_name"], "");
  // Before its profile exists: retried later, not lost.
  EXPECT_EQ(Deliver(deactivated(NewUuid(SecureRng::Instance()), true)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace messenger::profile
