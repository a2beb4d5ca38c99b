// SessionManager over PgSessionStore against a real PostgreSQL.
#include <gtest/gtest.h>

#include <thread>

#include "common/bus/outbox.h"
#include "common/pg/migrations.h"
#include "common/testing/testing.h"
#include "messenger/events/v1/events.pb.h"
#include "common_bus_migrations.h"
#include "session-service/src/service/session_manager.h"
#include "session-service/src/storage/pg_session_store.h"
#include "session_migrations.h"

namespace messenger::session {
namespace {

constexpr pg::Query kOutboxSubjects{"t_outbox_subjects",
                                    "SELECT subject, payload FROM outbox ORDER BY seq"};
constexpr pg::Query kAllHashes{"t_all_hashes", "SELECT token_hash FROM tokens"};

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status opened = testing::OpenTestDatabase(
        "session", 4, {&pg::OutboxMigrations(), &pg::SessionMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    store_ = std::make_unique<PgSessionStore>(*pool_, outbox_);
    manager_ = std::make_unique<SessionManager>(*store_, SessionPolicy{}, clock_,
                                                SecureRng::Instance());
  }

  std::vector<std::pair<std::string, nlohmann::json>> OutboxEvents() {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    auto r = pool_->Exec(kOutboxSubjects);
    EXPECT_TRUE(r.ok());
    for (int i = 0; i < r->rows(); ++i) {
      out.emplace_back(r->GetString(i, 0), nlohmann::json::parse(r->Get(i, 1)));
    }
    return out;
  }

  const std::string user_ = NewUuid(SecureRng::Instance());
  FakeClock clock_{absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()))};  // PostgreSQL precision
  bus::Outbox outbox_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgSessionStore> store_;
  std::unique_ptr<SessionManager> manager_;
};

TEST_F(SessionStoreTest, CreateValidateAndNoTokenInClear) {
  auto pair = manager_->Create(user_, "phone");
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->access_token.size(), 43u);
  EXPECT_EQ(pair->access_expires_at - clock_.Now(), absl::Minutes(15));
  auto valid = manager_->Validate(pair->access_token);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(valid->user_id, user_);
  EXPECT_EQ(valid->session_id, pair->session_id);

  auto hashes = pool_->Exec(kAllHashes);
  ASSERT_TRUE(hashes.ok());
  ASSERT_EQ(hashes->rows(), 2);
  for (int i = 0; i < 2; ++i) {
    const std::string stored = hashes->GetBytes(i, 0);
    EXPECT_NE(stored, pair->access_token);
    EXPECT_NE(stored, pair->refresh_token);
    EXPECT_TRUE(stored == Sha256(pair->access_token) || stored == Sha256(pair->refresh_token));
  }
  auto events = OutboxEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "session.created");
  EXPECT_EQ(events[0].second["data"]["session_id"], pair->session_id);
  EXPECT_EQ(events[0].second["data"]["device_name"], "phone");
  EXPECT_EQ(events[0].second["source"], "session");
}

TEST_F(SessionStoreTest, AccessTokenExpires) {
  auto pair = manager_->Create(user_, "");
  ASSERT_TRUE(pair.ok());
  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(manager_->Validate(pair->access_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(manager_->Validate("garbage").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(manager_->Validate(pair->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(SessionStoreTest, RefreshRotatesAndReuseRevokesTheSession) {
  auto first = manager_->Create(user_, "laptop");
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Minutes(1));
  auto second = manager_->Refresh(first->refresh_token);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->session_id, first->session_id);
  EXPECT_NE(second->refresh_token, first->refresh_token);
  EXPECT_TRUE(manager_->Validate(second->access_token).ok());

  // The old refresh token again: reuse, the whole session goes.
  auto reused = manager_->Refresh(first->refresh_token);
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(manager_->Validate(second->access_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(manager_->Refresh(second->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto events = OutboxEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].first, "session.revoked");
  EXPECT_EQ(events[1].second["data"]["reason"], "refresh_reuse");
  EXPECT_EQ(events[1].second["data"]["session_id"], first->session_id);
  // A second replay revokes nothing more and publishes nothing more.
  EXPECT_FALSE(manager_->Refresh(first->refresh_token).ok());
  EXPECT_EQ(OutboxEvents().size(), 2u);
}

TEST_F(SessionStoreTest, ConcurrentRefreshesOfOneTokenRotateOnce) {
  auto pair = manager_->Create(user_, "racer");
  ASSERT_TRUE(pair.ok());
  std::atomic<int> rotated{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      (manager_->Refresh(pair->refresh_token).ok() ? rotated : refused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(refused.load(), 3);
}

TEST_F(SessionStoreTest, RevokeOnlyOwnActiveSessions) {
  auto a = manager_->Create(user_, "a");
  clock_.Advance(absl::Seconds(1));
  auto b = manager_->Create(user_, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  auto listed = manager_->List(user_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].device_name, "b");  // newest first

  const std::string stranger = NewUuid(SecureRng::Instance());
  EXPECT_EQ(manager_->Revoke(a->session_id, stranger, RevokeReason::kRevoked).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Revoke("not-a-uuid", user_, RevokeReason::kRevoked).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(manager_->Revoke(a->session_id, user_, RevokeReason::kLogout).ok());
  EXPECT_EQ(manager_->Revoke(a->session_id, user_, RevokeReason::kLogout).code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(manager_->Validate(a->access_token).ok());
  EXPECT_TRUE(manager_->Validate(b->access_token).ok());
  listed = manager_->List(user_);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].session_id, b->session_id);
  auto events = OutboxEvents();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].second["data"]["reason"], "logout");
}

TEST_F(SessionStoreTest, LastSeenMovesAtMostOncePerMinute) {
  auto pair = manager_->Create(user_, "x");
  ASSERT_TRUE(pair.ok());
  const absl::Time created = clock_.Now();
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(manager_->Validate(pair->access_token).ok());
  EXPECT_EQ((*manager_->List(user_))[0].last_seen_at, created);
  clock_.Advance(absl::Seconds(40));
  ASSERT_TRUE(manager_->Validate(pair->access_token).ok());
  EXPECT_EQ((*manager_->List(user_))[0].last_seen_at, clock_.Now());
}

TEST_F(SessionStoreTest, RejectsBadInput) {
  EXPECT_EQ(manager_->Create("nope", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Create(user_, "a\tb").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Refresh(std::string(500, 'x')).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace messenger::session

namespace messenger::session {
namespace {

TEST_F(SessionStoreTest, DeviceIdsAreStableAndAReusedOneReplacesItsSession) {
  auto generated = manager_->Create(user_, "laptop");
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->device_id.size(), 10u);
  auto phone = manager_->Create(user_, "phone", "PHONE1");
  ASSERT_TRUE(phone.ok()) << phone.status();
  EXPECT_EQ(phone->device_id, "PHONE1");
  EXPECT_EQ(manager_->Validate(phone->access_token)->device_id, "PHONE1");

  // Another user may use the same device id.
  const std::string other = NewUuid(SecureRng::Instance());
  ASSERT_TRUE(manager_->Create(other, "phone", "PHONE1").ok());
  // The same user logging in again with it replaces the old session.
  clock_.Advance(absl::Seconds(1));  // newest first below
  auto again = manager_->Create(user_, "phone again", "PHONE1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(manager_->Validate(phone->access_token).ok());
  auto listed = manager_->List(user_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].device_id, "PHONE1");
  EXPECT_EQ((*listed)[0].device_name, "phone again");
  EXPECT_EQ((*listed)[1].device_id, generated->device_id);
  auto events = OutboxEvents();
  ASSERT_EQ(events.size(), 5u);  // 4 created, 1 revoked (the replaced session)
  int revoked = 0;
  for (const auto& [subject, event] : events) {
    if (subject == "session.revoked") {
      ++revoked;
      EXPECT_EQ(event["data"]["session_id"], phone->session_id);
    }
  }
  EXPECT_EQ(revoked, 1);

  EXPECT_EQ(manager_->Create(user_, "x", "has space").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Create(user_, "x", std::string(65, 'A')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SessionStoreTest, ExpiredAccessTokenOfALiveSessionSaysSo) {
  auto pair = manager_->Create(user_, "x");
  ASSERT_TRUE(pair.ok());
  clock_.Advance(absl::Minutes(16));
  auto expired = manager_->Validate(pair->access_token);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(expired.status().message(), kAccessTokenExpired);
  // Revoked: no longer "expired" (nothing to refresh).
  ASSERT_TRUE(manager_->Revoke(pair->session_id, user_, RevokeReason::kLogout).ok());
  EXPECT_NE(manager_->Validate(pair->access_token).status().message(), kAccessTokenExpired);
}

TEST_F(SessionStoreTest, RenameAndRevokeAllButOne) {
  auto a = manager_->Create(user_, "a");
  auto b = manager_->Create(user_, "b");
  auto c = manager_->Create(user_, "c");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(manager_->Rename(a->session_id, user_, "renamed").ok());
  const std::string stranger = NewUuid(SecureRng::Instance());
  EXPECT_EQ(manager_->Rename(a->session_id, stranger, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Rename(a->session_id, user_, "a\tb").code(),
            absl::StatusCode::kInvalidArgument);

  auto revoked = manager_->RevokeAllExcept(user_, a->session_id, RevokeReason::kRevoked);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->size(), 2u);
  EXPECT_TRUE(manager_->Validate(a->access_token).ok());
  EXPECT_FALSE(manager_->Validate(b->access_token).ok());
  EXPECT_FALSE(manager_->Validate(c->access_token).ok());
  auto listed = manager_->List(user_);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].device_name, "renamed");
  auto all = manager_->RevokeAllExcept(user_, "", RevokeReason::kLogout);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<std::string>{a->session_id});
  int revoked_events = 0;
  for (const auto& [subject, event] : OutboxEvents()) revoked_events += subject == "session.revoked";
  EXPECT_EQ(revoked_events, 3);
}

TEST_F(SessionStoreTest, UserDeactivatedRevokesEverySessionOnceAsDeactivated) {
  auto phone = manager_->Create(user_, "phone");
  auto laptop = manager_->Create(user_, "laptop");
  const std::string other = NewUuid(SecureRng::Instance());
  auto others = manager_->Create(other, "phone");
  ASSERT_TRUE(phone.ok() && laptop.ok() && others.ok());
  const size_t before = OutboxEvents().size();
  events::v1::UserDeactivated data;
  data.set_user_id(user_);
  bus::Event event = *bus::MakeEvent("user.deactivated", "auth", data, clock_,
                                     SecureRng::Instance());
  ASSERT_TRUE(manager_->OnUserDeactivated(event).ok());
  ASSERT_TRUE(manager_->OnUserDeactivated(event).ok()) << "a redelivery";
  for (const auto* pair : {&*phone, &*laptop}) {
    EXPECT_EQ(manager_->Validate(pair->access_token).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(manager_->Validate(others->access_token).ok()) << "another user's stays";
  auto events = OutboxEvents();
  ASSERT_EQ(events.size(), before + 2) << "one session.revoked per session, once";
  for (size_t i = before; i < events.size(); ++i) {
    EXPECT_EQ(events[i].first, "session.revoked");
    EXPECT_EQ(events[i].second["data"]["reason"], "deactivated");
    EXPECT_EQ(events[i].second["data"]["user_id"], user_);
  }
}

}  // namespace
}  // namespace messenger::session
