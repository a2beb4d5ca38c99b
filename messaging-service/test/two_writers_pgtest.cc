// Two messaging replicas over one PostgreSQL (DESIGN.md, section 2): both
// write into shared and separate rooms at once, slow transactions commit
// rows long after later ones, and readers sync through either replica with
// the same token. Wake-ups reach the other replica late, shuffled or not at
// all. Every reader must see each of its rows exactly once, in key order.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/bus/consumer.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/sync_settle.h"
#include "messaging_migrations.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

class EveryoneFriends final : public FriendChecker {
 public:
  absl::StatusOr<bool> AreFriends(const std::string&, const std::string&) override { return true; }
  absl::StatusOr<std::vector<bool>> AreFriendsMany(
      const std::vector<std::pair<std::string, std::string>>& pairs) override {
    return std::vector<bool>(pairs.size(), true);
  }
};

// Carries each replica's wake-ups to the other like the wake subject, but
// shuffled and with one in ten lost.
class LossyRelay {
 public:
  LossyRelay() : thread_([this] { Run(); }) {}
  ~LossyRelay() {
    stopping_ = true;
    thread_.join();
  }
  void Connect(CommitAnnouncer& a, CommitAnnouncer& b) {
    a.SetPublisher([this, &b](const std::string& payload) { Push(&b, payload); });
    b.SetPublisher([this, &a](const std::string& payload) { Push(&a, payload); });
  }

 private:
  void Push(CommitAnnouncer* to, const std::string& payload) {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(to, payload);
  }
  void Run() {
    std::mt19937 random(7);
    while (!stopping_) {
      std::deque<std::pair<CommitAnnouncer*, std::string>> batch;
      {
        std::lock_guard lock(mutex_);
        batch.swap(queue_);
      }
      std::shuffle(batch.begin(), batch.end(), random);
      for (auto& [to, payload] : batch) {
        if (random() % 10 != 0) to->Heard(payload);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::mutex mutex_;
  std::deque<std::pair<CommitAnnouncer*, std::string>> queue_;
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

// One messaging process: its own pool, store, wake log, hub and manager.
struct Replica {
  Replica(const std::string& dsn, const bus::Outbox& outbox, FriendChecker& friends) {
    pool = std::move(*pg::Pool::Create({.dsn = dsn, .size = 8, .schema = "messaging"}));
    store = std::make_unique<PgMessagingStore>(*pool, outbox);
    auto horizon = store->StreamHorizon();
    EXPECT_TRUE(horizon.ok()) << horizon.status();
    log.Reset(horizon->first, horizon->second);
    manager = std::make_unique<MessagingManager>(
        *store, friends, announcer, "localhost",
        *matrix::Ed25519Key::Generate(SecureRng::Instance(), "test"), SystemClock::Instance(),
        SecureRng::Instance());
  }
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<PgMessagingStore> store;
  WaitHub hub;
  WakeLog log;
  CommitAnnouncer announcer{log, hub};
  std::unique_ptr<MessagingManager> manager;
};

using Seen = std::vector<std::tuple<SyncKey, std::string, std::string>>;  // key, kind, room

Seen Describe(const std::vector<SyncRow>& rows) {
  Seen out;
  for (const SyncRow& row : rows) out.emplace_back(row.key(), row.kind, row.room_id);
  return out;
}

TEST(MessagingTwoWritersTest, ReadersSeeEveryRowOnceInOrderWhateverCommitsFirst) {
  std::unique_ptr<testing::TestDatabase> db;
  std::unique_ptr<pg::Pool> admin;
  ASSERT_TRUE(testing::OpenTestDatabase("messaging", 1,
                                        {&pg::OutboxMigrations(), &pg::MessagingMigrations()}, &db,
                                        &admin)
                  .ok());
  bus::Outbox outbox;
  EveryoneFriends friends;
  Replica a(db->dsn(), outbox, friends), b(db->dsn(), outbox, friends);
  Replica* replicas[] = {&a, &b};

  constexpr int kUsers = 4;
  std::vector<std::string> users;
  for (int i = 0; i < kUsers; ++i) {
    const std::string id = NewUuid(SecureRng::Instance());
    events::v1::UserCreated data;
    data.set_user_id(id);
    data.set_username("user" + std::to_string(i));
    auto event = bus::MakeEvent("user.created", "auth", data, SystemClock::Instance(),
                                SecureRng::Instance());
    ASSERT_TRUE(*bus::ApplyEventOnce(
        *a.pool, "messaging_users", *event,
        [&](const bus::Event& e, pg::Tx& tx) { return a.manager->OnUserCreated(e, tx); }));
    users.push_back(id);
  }
  // Every room exists (and its members) before anyone reads: one shared group
  // and a direct room per pair, opened alternately through each replica.
  auto group = a.manager->CreateGroup(users[0], "all", {users.begin() + 1, users.end()});
  ASSERT_TRUE(group.ok()) << group.status();
  std::vector<std::string> rooms = {group->room_id};
  int opened = 0;
  for (int i = 0; i < kUsers; ++i) {
    for (int j = i + 1; j < kUsers; ++j) {
      auto sent = replicas[opened++ % 2]->manager->Send(
          {users[i], "dev", users[j], std::nullopt, "hello", "open-" + std::to_string(opened)});
      ASSERT_TRUE(sent.ok()) << sent.status();
      rooms.push_back(sent->message.room_id);
    }
  }

  LossyRelay relay;
  relay.Connect(a.announcer, b.announcer);

  // Readers: each user's polls land on either replica, token carried over.
  // Once the writers are done, a reader stops after both replicas answered
  // "nothing, and nothing pending" in a row.
  std::atomic<bool> writers_done = false;
  std::vector<Seen> seen(kUsers);
  std::vector<int64_t> first_tokens(kUsers);
  for (int u = 0; u < kUsers; ++u) first_tokens[u] = replicas[u % 2]->manager->Position();
  std::vector<std::thread> readers;
  for (int u = 0; u < kUsers; ++u) {
    readers.emplace_back([&, u] {
      int64_t token = first_tokens[u];
      const absl::Time deadline = absl::Now() + absl::Seconds(120);
      int quiet = 0;
      for (int poll = 0; absl::Now() < deadline; ++poll) {
        const bool finishing = writers_done.load();
        auto batch = replicas[poll % 2]->manager->SyncOnce(users[u], token);
        ASSERT_TRUE(batch.ok()) << batch.status();
        for (const SyncRow& row : batch->rows) {
          ASSERT_GE(row.key(), FromWire(token)) << "a row before the token";
          if (!seen[u].empty()) {
            ASSERT_GT(row.key(), std::get<0>(seen[u].back())) << "out of order or repeated";
          }
          seen[u].emplace_back(row.key(), row.kind, row.room_id);
        }
        ASSERT_GE(FromWire(batch->next), FromWire(token));
        token = batch->next;
        const bool nothing = batch->rows.empty() && !batch->lagging;
        quiet = finishing && nothing ? quiet + 1 : 0;
        if (quiet >= 2) return;
        if (batch->rows.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      ADD_FAILURE() << "reader " << u << " stuck at " << token;
    });
  }

  // Writers: two threads per replica, into the shared group and the direct
  // rooms, retrying a busy room with the same client_msg_id; each user marks
  // the group read once.
  constexpr int kPerThread = 40;
  std::vector<std::thread> writers;
  std::atomic<int> sent_count = 0;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      Replica& r = *replicas[t % 2];
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& room =
            rooms[(t + i) % 2 == 0 ? 0 : 1 + (t * 7 + i) % (rooms.size() - 1)];
        auto members = r.store->JoinedMembers(room);
        ASSERT_TRUE(members.ok());
        const std::string& sender = (*members)[i % members->size()];
        const std::string cmid = "w" + std::to_string(t) + "-" + std::to_string(i);
        absl::StatusOr<SentMessage> sent;
        for (int attempt = 0; attempt < 50; ++attempt) {
          sent = r.manager->Send({sender, "dev", std::nullopt, room, "m", cmid});
          if (!absl::IsUnavailable(sent.status())) break;
        }
        ASSERT_TRUE(sent.ok()) << sent.status();
        ++sent_count;
        if (i == kPerThread / 2 && t < kUsers) {
          ASSERT_TRUE(r.manager->MarkSeen(users[t], rooms[0], 1).ok());
        }
      }
    });
  }
  // Slow transactions: a notice whose xid is older than the messages that
  // commit while it sleeps, so its row lands behind rows already read.
  constexpr int kSlow = 12;
  writers.emplace_back([&] {
    for (int i = 0; i < kSlow; ++i) {
      Replica& r = *replicas[i % 2];
      const std::string& user = users[i % kUsers];
      ASSERT_TRUE(r.store
                      ->Transaction([&](MessagingTx& tx) -> absl::Status {
                        RETURN_IF_ERROR(tx.InsertNotice(user, "contact_request", std::nullopt,
                                                        users[(i + 1) % kUsers]));
                        r.announcer.OnCommit(tx.tx(), {user});
                        std::this_thread::sleep_for(std::chrono::milliseconds(30));
                        return absl::OkStatus();
                      })
                      .ok());
    }
  });
  for (auto& w : writers) w.join();
  ASSERT_EQ(sent_count, 4 * kPerThread);
  writers_done = true;
  for (auto& r : readers) r.join();

  // Each reader saw exactly what the database holds for it after its first
  // token, once, in order.
  SettleSyncHorizon(*a.store, *a.pool);
  for (int u = 0; u < kUsers; ++u) {
    Seen expected;
    for (SyncKey since = FromWire(first_tokens[u]);;) {
      auto page = a.store->SyncRows(users[u], since, 100);
      ASSERT_TRUE(page.ok()) << page.status();
      if (page->rows.empty()) break;
      Seen rows = Describe(page->rows);
      expected.insert(expected.end(), rows.begin(), rows.end());
      since = page->rows.back().key();
    }
    EXPECT_GT(expected.size(), static_cast<size_t>(kPerThread));
    EXPECT_EQ(seen[u], expected) << "user " << u;
  }
}

}  // namespace
}  // namespace messenger::messaging
