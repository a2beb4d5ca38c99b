// MessagingManager over PgMessagingStore against a real PostgreSQL, with a
// fake contact service.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bus/consumer.h"
#include "common/metrics.h"
#include "common/pg/migrations.h"
#include "common/status_mapping.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/service/relations_manager.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/messaging_pg_fixture.h"
#include "messaging-service/test/sync_settle.h"
#include "messaging_migrations.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

using testing_users::FakeFriends;

constexpr pg::Query kOutbox{"t_outbox", "SELECT subject, payload FROM outbox ORDER BY seq"};
constexpr pg::Query kRoomEvents{"t_room_events",
                                "SELECT event_id, seq, type, pdu FROM events WHERE room_id = $1 "
                                "ORDER BY seq"};

class MessagingStoreTest : public testing_users::MessagingPgFixture<FakeFriends> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(12));
    alice_ = LocalUser("alice");
    bob_ = LocalUser("bob");
    carol_ = LocalUser("carol");
  }

  absl::StatusOr<SentMessage> SendTo(const std::string& from, const std::string& to,
                                     const std::string& text, const std::string& cmid) {
    return manager_->Send({from, "dev1", to, std::nullopt, text, cmid});
  }
  absl::StatusOr<SentMessage> SendIn(const std::string& from, const std::string& room,
                                     const std::string& text, const std::string& cmid) {
    return manager_->Send({from, "dev1", std::nullopt, room, text, cmid});
  }

  // The contact service ends the friendship and messaging hears of it.
  void Unfriend(const std::string& a, const std::string& b) {
    friends_.Unfriend(a, b);
    events::v1::FriendshipRemoved removed;
    removed.set_user_a(std::min(a, b));
    removed.set_user_b(std::max(a, b));
    removed.set_removed_by(a);
    auto event = bus::MakeEvent("friendship.removed", "contact", removed, SystemClock::Instance(),
                                SecureRng::Instance());
    ASSERT_TRUE(bus::ApplyEventOnce(*pool_, "messaging_friendships", *event,
                                    [this](const bus::Event& e, pg::Tx& tx) {
                                      return manager_->OnFriendshipEvent(e, tx);
                                    })
                    .ok());
  }

  SyncKey Settle() { return SettleSyncHorizon(*store_, *pool_); }

  // Woken polls (user, token) read at once through SyncOnceAsync: the answers
  // by poll index, once all came or a minute passed.
  std::map<size_t, absl::StatusOr<SyncBatch>> WokenSyncs(
      const std::vector<std::pair<std::string, int64_t>>& polls) {
    struct Answers {
      std::mutex mutex;
      std::map<size_t, absl::StatusOr<SyncBatch>> by_poll;
    };
    auto answers = std::make_shared<Answers>();  // late answers outlive a timeout
    for (size_t i = 0; i < polls.size(); ++i) {
      auto now = manager_->SyncOnceAsync(polls[i].first, polls[i].second,
                                         [answers, i](absl::StatusOr<SyncBatch> batch) {
                                           std::lock_guard lock(answers->mutex);
                                           answers->by_poll.emplace(i, std::move(batch));
                                         });
      if (now) {
        std::lock_guard lock(answers->mutex);
        answers->by_poll.emplace(i, std::move(*now));
      }
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    for (;;) {
      {
        std::lock_guard lock(answers->mutex);
        if (answers->by_poll.size() == polls.size() || absl::Now() > deadline) {
          return answers->by_poll;
        }
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  std::vector<std::pair<std::string, nlohmann::json>> Outbox() {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    auto r = pool_->Exec(kOutbox);
    for (int i = 0; i < r->rows(); ++i)
      out.emplace_back(r->GetString(i, 0), nlohmann::json::parse(r->Get(i, 1)));
    return out;
  }

  std::string alice_, bob_, carol_;
};

TEST_F(MessagingStoreTest, DirectMessageMakesAMatrixRoomOfSignedEvents) {
  friends_.Befriend(alice_, bob_);
  auto sent = SendTo(alice_, bob_, "hello bob", "m1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_FALSE(sent->duplicate);
  const std::string room = sent->message.room_id;
  EXPECT_EQ(room.front(), '!');
  EXPECT_NE(room.find(":localhost"), std::string::npos);

  auto events = pool_->Exec(kRoomEvents, {room});
  ASSERT_TRUE(events.ok());
  std::vector<std::string> types;
  for (int i = 0; i < events->rows(); ++i) {
    EXPECT_EQ(events->GetInt64(i, 1), i + 1);  // gap-free from 1
    types.push_back(events->GetString(i, 2));
    // The stored PDU hashes to its event id ($ + url-safe base64 reference hash).
    auto pdu = nlohmann::json::parse(events->Get(i, 3));
    auto id = matrix::ComputeEventId(pdu);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, events->GetString(i, 0));
    EXPECT_TRUE(pdu.contains("signatures") && pdu["signatures"].contains("localhost"));
    EXPECT_TRUE(pdu.contains("hashes") && pdu.contains("auth_events") &&
                pdu.contains("prev_events"));
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"m.room.create", "m.room.member", "m.room.power_levels",
                                      "m.room.join_rules", "m.room.history_visibility",
                                      "m.room.member", "m.room.member", "m.room.message"}));
  EXPECT_EQ(sent->message.seq, 8);
  EXPECT_EQ(MessagingManager::MessageText(sent->message.pdu), "hello bob");

  // The same pair gets the same room, whoever writes.
  auto reply = SendTo(bob_, alice_, "hi alice", "m1");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message.room_id, room);
  EXPECT_EQ(reply->message.seq, 9);

  auto outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[0].first, "message.sent");
  EXPECT_EQ(outbox[0].second["data"]["recipients"], nlohmann::json::array({bob_}));
  EXPECT_FALSE(outbox[0].second["data"].contains("text"));
  EXPECT_EQ(outbox[0].second.dump().find("hello bob"), std::string::npos);
}

TEST_F(MessagingStoreTest, ContactPolicy) {
  auto stranger = SendTo(alice_, bob_, "hi", "m1");
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kPermissionDenied);
  friends_.Befriend(alice_, bob_);
  auto first = SendTo(alice_, bob_, "hi", "m2");
  ASSERT_TRUE(first.ok());
  Unfriend(alice_, bob_);
  EXPECT_EQ(SendIn(bob_, first->message.room_id, "still there?", "m3").status().code(),
            absl::StatusCode::kPermissionDenied);
  friends_.down = true;
  EXPECT_EQ(SendIn(bob_, first->message.room_id, "?", "m4").status().code(),
            absl::StatusCode::kUnavailable);
  friends_.down = false;
  friends_.Befriend(alice_, bob_);
  auto again = SendTo(bob_, alice_, "back", "m5");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->message.room_id, first->message.room_id);  // the same room, history kept
  EXPECT_EQ(manager_->History(alice_, first->message.room_id, 0, 10)->messages.size(), 2u);
  EXPECT_EQ(SendTo(alice_, alice_, "me", "m6").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MessagingStoreTest, RetryReturnsTheOriginalMessage) {
  friends_.Befriend(alice_, bob_);
  auto first = SendTo(alice_, bob_, "once", "same-id");
  auto retry = SendTo(alice_, bob_, "once", "same-id");
  ASSERT_TRUE(first.ok() && retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->message.event_id, first->message.event_id);
  EXPECT_EQ(retry->message.seq, first->message.seq);
  EXPECT_EQ(manager_->History(bob_, first->message.room_id, 0, 10)->messages.size(), 1u);
  // Another device may reuse the id.
  auto other_device = manager_->Send({alice_, "dev2", bob_, std::nullopt, "twice", "same-id"});
  ASSERT_TRUE(other_device.ok());
  EXPECT_NE(other_device->message.event_id, first->message.event_id);
  EXPECT_EQ(Outbox().size(), 2u);
}

TEST_F(MessagingStoreTest, ConcurrentSendsIntoOneRoomHaveGapFreeUniqueSeqs) {
  friends_.Befriend(alice_, bob_);
  auto first = SendTo(alice_, bob_, "start", "start");
  ASSERT_TRUE(first.ok());
  const std::string room = first->message.room_id;
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string& from = t % 2 ? alice_ : bob_;
        if (!SendIn(from, room, "m", "c" + std::to_string(t) + "-" + std::to_string(i)).ok())
          ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto events = pool_->Exec(kRoomEvents, {room});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->rows(), 8 + kThreads * kEach);
  for (int i = 0; i < events->rows(); ++i) EXPECT_EQ(events->GetInt64(i, 1), i + 1);
  // The DAG stays linear: each event's prev is the event before it.
  for (int i = 1; i < events->rows(); ++i) {
    auto pdu = nlohmann::json::parse(events->Get(i, 3));
    EXPECT_EQ(pdu["prev_events"], nlohmann::json::array({events->GetString(i - 1, 0)}));
    EXPECT_EQ(pdu["depth"], i + 1);
  }
}

TEST_F(MessagingStoreTest, ConcurrentSendsAcrossRoomsAreWrittenInBatchesCorrectly) {
  // 8 pairs, one thread each, with retries of earlier ids mixed in: batches
  // hold messages of several rooms and a duplicate must fail only itself.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int p = 0; p < 8; ++p) {
    std::string a = LocalUser("pa" + std::to_string(p)), b = LocalUser("pb" + std::to_string(p));
    friends_.Befriend(a, b);
    pairs.emplace_back(a, b);
  }
  constexpr int kEach = 30;
  std::vector<std::string> rooms(pairs.size());
  std::atomic<int> failures{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (size_t p = 0; p < pairs.size(); ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) {
        auto sent = SendTo(pairs[p].first, pairs[p].second, "m", "id" + std::to_string(i));
        if (!sent.ok()) {
          ++failures;
          continue;
        }
        rooms[p] = sent->message.room_id;
        if (i % 5 == 4) {  // a retry of the previous message
          auto again = SendTo(pairs[p].first, pairs[p].second, "m", "id" + std::to_string(i - 1));
          if (again.ok() && again->duplicate) ++duplicates;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(duplicates.load(), 8 * (kEach / 5));
  for (const auto& room : rooms) {
    auto events = pool_->Exec(kRoomEvents, {room});
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->rows(), 7 + kEach);  // room creation + the messages, no duplicates
    for (int i = 0; i < events->rows(); ++i) EXPECT_EQ(events->GetInt64(i, 1), i + 1);
  }
  int sent_events = 0;
  for (const auto& [subject, payload] : Outbox()) sent_events += subject == "message.sent";
  EXPECT_EQ(sent_events, 8 * kEach);
  // Some statements carried more than one message.
  const std::string text = metrics::Registry::Default().Render();
  const size_t at = text.find("messaging_send_batch_size_bucket{le=\"1\"} ");
  const size_t total_at = text.find("messaging_send_batch_size_count ");
  ASSERT_NE(at, std::string::npos);
  ASSERT_NE(total_at, std::string::npos);
  const long singles = std::stol(text.substr(at + 41));
  const long total = std::stol(text.substr(total_at + 32));
  EXPECT_LT(singles, total) << text.substr(at, 400);
}

TEST_F(MessagingStoreTest, HistoryPagesAreStableWhileNewMessagesArrive) {
  friends_.Befriend(alice_, bob_);
  std::string room;
  for (int i = 0; i < 30; ++i) {
    auto sent = SendTo(alice_, bob_, "msg " + std::to_string(i), "h" + std::to_string(i));
    ASSERT_TRUE(sent.ok());
    room = sent->message.room_id;
  }
  auto page1 = manager_->History(bob_, room, 0, 10);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->messages.size(), 10u);
  EXPECT_EQ(MessagingManager::MessageText(page1->messages[0].pdu), "msg 29");
  ASSERT_TRUE(page1->next_before_seq.has_value());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(SendTo(bob_, alice_, "new", "n" + std::to_string(i)).ok());
  std::vector<std::string> texts;
  for (const auto& m : page1->messages) texts.push_back(MessagingManager::MessageText(m.pdu));
  std::optional<int64_t> before = page1->next_before_seq;
  while (before) {
    auto page = manager_->History(bob_, room, *before, 10);
    ASSERT_TRUE(page.ok());
    for (const auto& m : page->messages) texts.push_back(MessagingManager::MessageText(m.pdu));
    before = page->next_before_seq;
  }
  ASSERT_EQ(texts.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(texts[i], "msg " + std::to_string(29 - i));
  EXPECT_EQ(manager_->History(bob_, room, 0, 101).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->History(carol_, room, 0, 10).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->History(bob_, "!nope:localhost", 0, 10).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MessagingStoreTest, UnreadCountsDropWhenSeenAndSeenIsPublished) {
  friends_.Befriend(alice_, bob_);
  std::string room;
  int64_t last_seq = 0;
  for (int i = 0; i < 3; ++i) {
    auto sent = SendTo(alice_, bob_, "x", "u" + std::to_string(i));
    ASSERT_TRUE(sent.ok());
    room = sent->message.room_id;
    last_seq = sent->message.seq;
  }
  auto list = manager_->Conversations(bob_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].unread, 3);
  EXPECT_EQ((*list)[0].kind, "direct");
  ASSERT_TRUE((*list)[0].last_message.has_value());
  EXPECT_EQ((*list)[0].last_message->seq, last_seq);
  EXPECT_EQ((*manager_->Conversations(alice_))[0].unread, 0);  // own messages are read

  ASSERT_TRUE(manager_->MarkSeen(bob_, room, last_seq - 1).ok());
  EXPECT_EQ((*manager_->Conversations(bob_))[0].unread, 1);
  ASSERT_TRUE(manager_->MarkSeen(bob_, room, last_seq).ok());
  EXPECT_EQ((*manager_->Conversations(bob_))[0].unread, 0);
  ASSERT_TRUE(manager_->MarkSeen(bob_, room, 2).ok());  // backwards: ignored
  EXPECT_EQ(manager_->MarkSeen(bob_, room, last_seq + 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->MarkSeen(carol_, room, 1).code(), absl::StatusCode::kPermissionDenied);
  int seen = 0;
  for (const auto& [subject, payload] : Outbox()) {
    if (subject == "message.seen") {
      ++seen;
      EXPECT_EQ(payload["data"]["user_id"], bob_);
      EXPECT_EQ(payload["data"]["conversation_id"], room);
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(MessagingStoreTest, GroupsNeedContactsAndSyncReportsWhatHappened) {
  friends_.Befriend(alice_, bob_);
  EXPECT_EQ(manager_->CreateGroup(alice_, "team", {bob_, carol_}).status().code(),
            absl::StatusCode::kPermissionDenied);
  friends_.Befriend(alice_, carol_);
  const int64_t before = manager_->Position();
  auto group = manager_->CreateGroup(alice_, " team ", {bob_, carol_, alice_});
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->name, "team");
  EXPECT_EQ(group->kind, "group");
  auto sent = SendIn(bob_, group->room_id, "hello team", "g1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_TRUE(manager_->MarkSeen(carol_, group->room_id, sent->message.seq).ok());

  const SyncKey settled = Settle();
  auto batch = manager_->SyncOnce(carol_, before);
  ASSERT_TRUE(batch.ok());
  std::vector<std::string> kinds;
  for (const auto& row : batch->rows) kinds.push_back(row.kind);
  ASSERT_EQ(kinds, (std::vector<std::string>{"conversation", "message", "seen"}));
  EXPECT_EQ(batch->rows[1].message->event_id, sent->message.event_id);
  EXPECT_EQ(batch->rows[2].user_id, carol_);
  EXPECT_GE(FromWire(batch->next), settled);
  EXPECT_LE(batch->next, manager_->Position());
  // Nothing new after `next`.
  EXPECT_TRUE(manager_->SyncOnce(carol_, batch->next)->rows.empty());
  // The state after the message is the room's state: 3 members joined.
  auto state = store_->StateAfter(sent->message.event_id);
  ASSERT_TRUE(state.ok()) << state.status();
  int members = 0;
  bool named = false;
  for (const auto& e : *state) {
    members += e.type == "m.room.member";
    named |= e.type == "m.room.name";
  }
  EXPECT_EQ(members, 3);
  EXPECT_TRUE(named);
}

TEST_F(MessagingStoreTest, InvitesOnlyFriendsIntoGroupsNeverIntoDirectRooms) {
  friends_.Befriend(alice_, bob_);
  friends_.Befriend(alice_, carol_);
  auto direct = SendTo(alice_, bob_, "hi", "i1");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(manager_->Invite(alice_, direct->message.room_id, carol_).status().code(),
            absl::StatusCode::kPermissionDenied);  // even a friend: a pair stays a pair
  auto group = manager_->CreateGroup(alice_, "g", {bob_});
  ASSERT_TRUE(group.ok());
  const std::string dave = LocalUser("dave");
  EXPECT_EQ(manager_->Invite(alice_, group->room_id, dave).status().code(),
            absl::StatusCode::kPermissionDenied);  // not a contact
  auto invited = manager_->Invite(alice_, group->room_id, carol_);
  ASSERT_TRUE(invited.ok()) << invited.status();
  EXPECT_EQ(*store_->Membership(group->room_id, carol_), "invite");
  // Any member may invite a contact of theirs (the invite level is 0); the
  // invitee must be the inviter's friend, not the creator's.
  friends_.Befriend(bob_, dave);
  EXPECT_TRUE(manager_->Invite(bob_, group->room_id, dave).ok());
  EXPECT_EQ(manager_->Invite(carol_, group->room_id, dave).status().code(),
            absl::StatusCode::kPermissionDenied);  // invited, not joined
}

TEST_F(MessagingStoreTest, FriendshipEventsBecomeNoticesAndReadOnlyFlags) {
  friends_.Befriend(alice_, bob_);
  auto sent = SendTo(alice_, bob_, "hi", "f1");
  ASSERT_TRUE(sent.ok());
  // A token taken now could still be below the send (a new token starts at
  // the horizon): wait until it is past it.
  const int64_t before = ToWire(Settle());
  events::v1::FriendshipRemoved removed;
  removed.set_user_a(std::min(alice_, bob_));
  removed.set_user_b(std::max(alice_, bob_));
  removed.set_removed_by(alice_);
  auto event = bus::MakeEvent("friendship.removed", "contact", removed, SystemClock::Instance(),
                              SecureRng::Instance());
  auto apply = [&](const bus::Event& e) {
    return bus::ApplyEventOnce(
        *pool_, "messaging_friendships", e,
        [this](const bus::Event& ev, pg::Tx& tx) { return manager_->OnFriendshipEvent(ev, tx); });
  };
  ASSERT_TRUE(*apply(*event));
  EXPECT_FALSE(*apply(*event));  // redelivery changes nothing
  auto list = manager_->Conversations(bob_);
  EXPECT_TRUE((*list)[0].read_only);
  Settle();
  auto batch = manager_->SyncOnce(bob_, before);
  ASSERT_EQ(batch->rows.size(), 1u);
  EXPECT_EQ(batch->rows[0].kind, "contact_removed");
  EXPECT_EQ(batch->rows[0].user_id, alice_);
}

// Sync answers "nothing new" from memory when this replica heard of nothing
// for the user after `since`; it must never hide a row the database has.
// After each step (so that each kind of row is somebody's newest), every
// user, from every token, gets exactly what a database read gives; also in a
// process that starts after the rows were written.
TEST_F(MessagingStoreTest, SyncFromMemoryNeverHidesWhatTheDatabaseHas) {
  const std::string dave = LocalUser("dave");
  const uint64_t first = log_.Horizon();
  const std::vector<std::string> everyone = {alice_, bob_, carol_, dave};
  auto check_all = [&](MessagingManager& manager) {
    const SyncKey end = Settle();
    // Tokens at every boundary: before xids, at start-up, just below and
    // above each transaction with rows, and the horizon.
    std::set<SyncKey> tokens = {SyncKey{0, 0}, SyncKey::Below(first), end};
    for (const std::string& user : everyone) {
      auto rows = store_->SyncRows(user, SyncKey{}, 100);
      ASSERT_TRUE(rows.ok());
      for (const SyncRow& row : rows->rows) {
        tokens.insert(SyncKey::Below(row.xid));
        tokens.insert(SyncKey::Below(row.xid + 1));
      }
    }
    for (const std::string& user : everyone) {
      for (const SyncKey& since : tokens) {
        auto expected = store_->SyncRows(user, since, 100);
        auto got = manager.SyncOnce(user, ToWire(since));
        ASSERT_TRUE(expected.ok() && got.ok());
        std::vector<SyncKey> want, have;
        for (const auto& row : expected->rows) want.push_back(row.key());
        for (const auto& row : got->rows) have.push_back(row.key());
        ASSERT_EQ(have, want) << "user " << user << " since " << ToWire(since);
        // A read moves the token to the horizon (past every row written);
        // the shortcut keeps it.
        if (got->next != ToWire(since)) {
          EXPECT_GE(FromWire(got->next), end);
        }
        auto again = manager.SyncOnce(user, got->next);
        ASSERT_TRUE(again.ok());
        EXPECT_TRUE(again->rows.empty());
      }
    }
  };
  friends_.Befriend(alice_, bob_);
  friends_.Befriend(alice_, carol_);
  ASSERT_TRUE(SendTo(alice_, bob_, "one", "m1").ok());  // a new direct room
  check_all(*manager_);
  ASSERT_TRUE(SendTo(bob_, alice_, "two", "m2").ok());  // the fast path
  check_all(*manager_);
  auto group = manager_->CreateGroup(alice_, "g", {bob_});
  ASSERT_TRUE(group.ok());
  check_all(*manager_);
  auto sent = SendIn(bob_, group->room_id, "three", "m3");
  ASSERT_TRUE(sent.ok());
  check_all(*manager_);
  ASSERT_TRUE(manager_->MarkSeen(alice_, group->room_id, sent->message.seq).ok());
  check_all(*manager_);
  ASSERT_TRUE(manager_->Invite(alice_, group->room_id, carol_).ok());
  check_all(*manager_);
  Unfriend(alice_, bob_);
  check_all(*manager_);
  // The shortcut is taken: dave has had nothing since start-up, and bob's
  // unfriending notice is below the horizon his last read returned.
  EXPECT_TRUE(manager_->SyncOnce(bob_, ToWire(Settle())).ok());  // bounds bob's last wake-up
  const SyncKey end = Settle();
  EXPECT_FALSE(log_.MayHaveAfter(dave, end));
  EXPECT_TRUE(log_.MayHaveAfter(bob_, SyncKey::Below(first)));
  EXPECT_FALSE(log_.MayHaveAfter(bob_, end));

  // A new process knows nothing of the rows before it started.
  WakeLog restarted;
  auto horizon = store_->StreamHorizon();
  ASSERT_TRUE(horizon.ok());
  restarted.Reset(horizon->first, horizon->second);
  CommitAnnouncer announcer(restarted, hub_);
  MessagingManager later(*store_, friends_, announcer, "localhost",
                         *matrix::Ed25519Key::Generate(SecureRng::Instance(), "test"),
                         SystemClock::Instance(), SecureRng::Instance());
  check_all(later);
}

TEST_F(MessagingStoreTest, TinyCachesEvictWithoutCrashOrWrongAnswers) {
  // Every cache holds one entry: each step evicts what the previous one used
  // (a direct pair's room row went while the pair itself stayed, once).
  UseLimits({.loaded_rooms = 1, .cache_entries = 1});
  friends_.Befriend(alice_, bob_);
  friends_.Befriend(alice_, carol_);
  auto group = manager_->CreateGroup(alice_, "three", {bob_, carol_});
  ASSERT_TRUE(group.ok()) << group.status();
  std::map<std::string, int64_t> last_seq;
  auto expect_next = [&](const absl::StatusOr<SentMessage>& sent) {
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_FALSE(sent->duplicate);
    auto [it, fresh] = last_seq.emplace(sent->message.room_id, sent->message.seq);
    if (!fresh) {
      EXPECT_EQ(sent->message.seq, ++it->second) << sent->message.room_id;
    }
  };
  std::string ab_room;
  for (int round = 0; round < 4; ++round) {
    const std::string n = std::to_string(round);
    auto ab = SendTo(alice_, bob_, "ab " + n, "ab" + n);
    expect_next(ab);
    ab_room = ab->message.room_id;
    expect_next(SendIn(bob_, group->room_id, "group " + n, "g" + n));
    expect_next(SendTo(alice_, bob_, "again " + n, "ab-again" + n));
    expect_next(SendTo(carol_, alice_, "ca " + n, "ca" + n));
    expect_next(SendIn(bob_, ab_room, "ba " + n, "ba" + n));
    EXPECT_LE(manager_->loaded_rooms(), 1u);
  }
  // Storage agrees: 3 rooms, every message once, seqs gap-free.
  EXPECT_EQ(last_seq.size(), 3u);
  for (const auto& [room, seq] : last_seq) {
    auto events = pool_->Exec(kRoomEvents, {room});
    ASSERT_TRUE(events.ok());
    for (int i = 0; i < events->rows(); ++i) EXPECT_EQ(events->GetInt64(i, 1), i + 1);
    EXPECT_EQ(events->GetInt64(events->rows() - 1, 1), seq);
  }
  auto history = manager_->History(alice_, ab_room, 0, 100);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->messages.size(), 12u);
}

TEST_F(MessagingStoreTest, EvictedRoomReloadsWithItsAuthRulesAndOrder) {
  UseLimits({.loaded_rooms = 1});
  friends_.Befriend(alice_, bob_);
  friends_.Befriend(alice_, carol_);
  auto group = manager_->CreateGroup(alice_, "two", {bob_});
  ASSERT_TRUE(group.ok()) << group.status();
  auto first = SendIn(alice_, group->room_id, "one", "g1");
  ASSERT_TRUE(first.ok()) << first.status();
  // Another room takes the only slot: the group's state and members go.
  ASSERT_TRUE(SendTo(alice_, carol_, "elsewhere", "d1").ok());
  EXPECT_EQ(manager_->loaded_rooms(), 1u);
  // Reloaded from storage, the group still keeps carol (not a member) out...
  auto outsider = SendIn(carol_, group->room_id, "let me in", "c1");
  EXPECT_EQ(outsider.status().code(), absl::StatusCode::kPermissionDenied) << outsider.status();
  ASSERT_TRUE(SendTo(alice_, carol_, "elsewhere again", "d2").ok());
  // ...and appends right after the last message, whoever evicted it.
  auto second = SendIn(bob_, group->room_id, "two", "g2");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->message.seq, first->message.seq + 1);
  auto third = SendIn(alice_, group->room_id, "three", "g3");
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->message.seq, first->message.seq + 2);
  auto history = manager_->History(bob_, group->room_id, 0, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->messages.size(), 3u);
  EXPECT_EQ(MessagingManager::MessageText(history->messages[0].pdu), "three");
  EXPECT_EQ(MessagingManager::MessageText(history->messages[2].pdu), "one");
}

TEST_F(MessagingStoreTest, ReusedClientMsgIdWithAnotherRequestIsRefused) {
  friends_.Befriend(alice_, bob_);
  friends_.Befriend(alice_, carol_);
  auto first = SendTo(alice_, bob_, "once", "k1");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string room = first->message.room_id;
  auto check = [&](const char* what) {
    auto same = SendTo(alice_, bob_, "once", "k1");
    ASSERT_TRUE(same.ok()) << what << ": " << same.status();
    EXPECT_TRUE(same->duplicate) << what;
    EXPECT_EQ(same->message.event_id, first->message.event_id) << what;
    for (const auto& other : {SendTo(alice_, bob_, "twice", "k1"),   // other text
                              SendTo(alice_, carol_, "once", "k1"),  // other target
                              SendIn(alice_, room, "once, again", "k1")}) {
      EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists) << what;
      EXPECT_EQ(other.status().message(), "client_msg_id was already used for a different message")
          << what;
    }
  };
  check("room loaded (one-statement append)");
  UseLimits({});
  check("room not loaded (transaction append)");
  EXPECT_EQ(manager_->History(bob_, room, 0, 10)->messages.size(), 1u);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(MessagingStoreTest, EndedFriendshipRefusesSendsBeforeItsEventArrives) {
  UseLimits({.loaded_rooms = 1});
  friends_.Befriend(alice_, bob_);
  friends_.Befriend(alice_, carol_);
  auto first = SendTo(alice_, bob_, "hi", "f1");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string room = first->message.room_id;
  // The contact service ended it; friendship.removed has not reached us.
  friends_.Unfriend(alice_, bob_);
  EXPECT_EQ(SendTo(alice_, bob_, "still friends?", "f2").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(SendIn(bob_, room, "hello?", "f3").status().code(),
            absl::StatusCode::kPermissionDenied);
  // A retry of what was sent while they were friends still gets its answer.
  auto retry = SendTo(alice_, bob_, "hi", "f1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);

  // Friends again: the remembered "yes" serves the path, each batch is confirmed.
  friends_.Befriend(alice_, bob_);
  ASSERT_TRUE(SendTo(alice_, bob_, "back", "f4").ok());
  const int batches = friends_.batch_calls;
  ASSERT_TRUE(SendTo(alice_, bob_, "and again", "f5").ok());
  EXPECT_EQ(friends_.batch_calls, batches + 1);
  // The room leaves memory, the "yes" stays: the transaction path confirms too.
  ASSERT_TRUE(SendTo(alice_, carol_, "takes the only room slot", "f6").ok());
  friends_.Unfriend(alice_, bob_);
  EXPECT_EQ(SendIn(bob_, room, "anyone?", "f7").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->History(alice_, room, 0, 10)->messages.size(), 3u);

  // The event clears the remembered "yes" at once: the next send asks.
  friends_.Befriend(alice_, bob_);
  ASSERT_TRUE(SendTo(alice_, bob_, "friends", "f8").ok());
  const int singles = friends_.single_calls;
  Unfriend(alice_, bob_);
  EXPECT_EQ(SendIn(bob_, room, "bye?", "f9").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(friends_.single_calls, singles + 1);
}

}  // namespace
}  // namespace messenger::messaging

namespace messenger::messaging {
namespace {

// The next stream positions, taken by notices written outside the sequence.
constexpr pg::Query kTakePositions{
    "t_take_positions",
    "INSERT INTO notices (stream_pos, user_id, kind) "
    "SELECT p, $1, 'contact_request' FROM generate_series(nextval('stream_positions') + 1, "
    "currval('stream_positions') + 8) p"};

// The direct room's creation conflicts on a notice, not on the pair (as
// when another writer used the positions): the send is tried again and
// succeeds; it was answered 409.
TEST_F(MessagingStoreTest, AFirstDirectSendMeetingAnotherConflictIsNotA409) {
  friends_.Befriend(alice_, bob_);
  ASSERT_TRUE(pool_->Exec(kTakePositions, {carol_}).ok());
  absl::StatusOr<SentMessage> sent = SendTo(alice_, bob_, "first", "c1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_FALSE(sent->duplicate);
}

// A send into a group of N wakes N long polls at once. Their reads share
// batched statements (SyncReadBatcher): far fewer than N statements, and each
// poll gets exactly what its own read gives (same rows, order and token),
// whatever its token; a user outside the room gets nothing of it.
TEST_F(MessagingStoreTest, WokenPollsOfAGroupShareTheirSyncReads) {
  constexpr int kMembers = 100;
  std::vector<std::string> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(LocalUser("m" + std::to_string(i)));
    friends_.Befriend(alice_, members.back());
  }
  friends_.Befriend(alice_, bob_);
  const int64_t older = ToWire(Settle());
  ASSERT_TRUE(SendTo(alice_, bob_, "direct", "d1").ok());  // bob: his own rows
  auto group = manager_->CreateGroup(alice_, "big", members);
  ASSERT_TRUE(group.ok()) << group.status();
  const int64_t before = ToWire(Settle());
  ASSERT_TRUE(SendIn(alice_, group->room_id, "to all", "g1").ok());
  const int64_t sent_at = ToWire(Settle());
  // Half the polls from before the group, half from just before the send.
  std::vector<std::pair<std::string, int64_t>> polls;
  for (int i = 0; i < kMembers; ++i) polls.push_back({members[i], i % 2 == 0 ? before : older});
  polls.push_back({bob_, older});
  polls.push_back({carol_, before});
  metrics::Counter& statements = metrics::Registry::Default().GetCounter(kSyncStatementsMetric, "");
  const double statements_before = statements.value();
  std::map<size_t, absl::StatusOr<SyncBatch>> answers = WokenSyncs(polls);
  ASSERT_EQ(answers.size(), polls.size()) << "woken polls unanswered";
  const double used = statements.value() - statements_before;
  // Each poll reading on its own would take one statement per poll.
  EXPECT_LE(used, polls.size() / 4.0) << "sync statements for " << polls.size() << " polls";
  for (size_t i = 0; i < polls.size(); ++i) {
    const absl::StatusOr<SyncBatch>& got = answers.at(i);
    auto own = manager_->SyncOnce(polls[i].first, polls[i].second);
    ASSERT_TRUE(got.ok() && own.ok()) << got.status() << own.status();
    std::vector<std::pair<SyncKey, std::string>> want, have;
    for (const auto& row : own->rows) want.push_back({row.key(), row.kind + row.room_id});
    for (const auto& row : got->rows) have.push_back({row.key(), row.kind + row.room_id});
    EXPECT_EQ(have, want) << "poll " << i;
    // The token is the read's horizon: other databases' transactions move
    // it, so a later read may end higher; from it nothing is left over.
    EXPECT_LE(got->next, own->next) << "poll " << i;
    if (got->next != polls[i].second) {  // a read (not the in-memory "nothing new")
      EXPECT_GE(FromWire(got->next), FromWire(sent_at)) << "poll " << i;
    }
    auto rest = manager_->SyncOnce(polls[i].first, got->next);
    ASSERT_TRUE(rest.ok());
    EXPECT_TRUE(rest->rows.empty()) << "poll " << i;
    if (polls[i].first != carol_) {
      EXPECT_FALSE(have.empty()) << "poll " << i;
    }
  }
  EXPECT_TRUE(answers.at(polls.size() - 1)->rows.empty());  // carol is not in the group
}

// The queue of batched sync reads is bounded: past it a woken poll is
// answered at once with a retry hint (a 429 with Retry-After over HTTP).
TEST_F(MessagingStoreTest, AFullSyncReadQueueAnswersRetryLater) {
  MessagingLimits limits;
  limits.sync_reads.max_queued = 0;
  UseLimits(limits);
  friends_.Befriend(alice_, bob_);
  const int64_t before = ToWire(Settle());
  ASSERT_TRUE(SendTo(alice_, bob_, "hi", "q1").ok());
  bool ran = false;
  auto now = manager_->SyncOnceAsync(bob_, before, [&](absl::StatusOr<SyncBatch>) { ran = true; });
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->status().code(), absl::StatusCode::kResourceExhausted) << now->status();
  EXPECT_TRUE(RetryAfter(now->status()).has_value());
  EXPECT_FALSE(ran);
  auto own = manager_->SyncOnce(bob_, before);  // the poll's own read still answers
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(own->rows.empty());
}

// The woken polls of a batch also share the read of their messages' notes
// (edits, deletes, reactions): per batch, not one statement per poll; and
// each poll shows what its own read and annotation show (the reaction row,
// counts, and `me` only for the member who reacted).
TEST_F(MessagingStoreTest, WokenPollsOfAGroupShareTheirNotesReads) {
  constexpr int kMembers = 60;
  std::vector<std::string> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(LocalUser("n" + std::to_string(i)));
    friends_.Befriend(alice_, members.back());
  }
  auto group = manager_->CreateGroup(alice_, "big", members);
  ASSERT_TRUE(group.ok()) << group.status();
  RelationsManager relations(*store_, *manager_, SystemClock::Instance(), SecureRng::Instance());
  manager_->SetSyncPrefetch([&relations](const auto& requests, const auto& pages) {
    return relations.PrefetchSync(requests, pages);
  });
  const int64_t before = ToWire(Settle());
  auto first = SendIn(alice_, group->room_id, "react to me", "n1");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(relations.React(members[0], first->message.event_id, "+1").ok());
  ASSERT_TRUE(SendIn(alice_, group->room_id, "and more", "n2").ok());
  Settle();
  metrics::Counter& statements =
      metrics::Registry::Default().GetCounter(kMessageNotesStatementsMetric, "");
  const double statements_before = statements.value();
  std::vector<std::pair<std::string, int64_t>> polls;
  for (const std::string& m : members) polls.push_back({m, before});
  std::map<size_t, absl::StatusOr<SyncBatch>> answers = WokenSyncs(polls);
  ASSERT_EQ(answers.size(), polls.size()) << "woken polls unanswered";
  for (auto& [i, batch] : answers) {
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_TRUE(relations.AnnotateSync(members[i], batch->rows, batch->notes.get()).ok());
  }
  const double used = statements.value() - statements_before;
  // Each poll annotating on its own would take one statement per poll.
  EXPECT_LE(used, members.size() / 4.0) << "notes statements for " << members.size() << " polls";
  auto shown = [](const std::vector<SyncRow>& rows) {
    std::vector<std::string> out;
    for (const SyncRow& row : rows) {
      std::string line = row.kind;
      if (row.message) {
        line += " " + row.message->event_id;
        for (const ReactionCount& r : row.message->notes.reactions) {
          line += absl::StrCat(" ", r.key, "x", r.count, r.me ? " me" : "");
        }
      }
      out.push_back(line);
    }
    return out;
  };
  for (size_t i = 0; i < members.size(); ++i) {
    auto own = manager_->SyncOnce(members[i], before);
    ASSERT_TRUE(own.ok()) << own.status();
    ASSERT_TRUE(relations.AnnotateSync(members[i], own->rows).ok());
    EXPECT_EQ(shown(answers.at(i)->rows), shown(own->rows)) << "poll " << i;
    const std::string all = absl::StrJoin(shown(own->rows), "|");
    EXPECT_NE(all.find("reaction"), std::string::npos) << "poll " << i << ": " << all;
    EXPECT_NE(all.find("+1x1"), std::string::npos) << "poll " << i << ": " << all;
    EXPECT_EQ(all.find("+1x1 me") != std::string::npos, i == 0) << "poll " << i << ": " << all;
  }
}

TEST_F(MessagingStoreTest, AnAccountNotYetHeardOfIsAskedOfItsOwner) {
  const std::string fresh = "0b7c5a2e-8f7d-4c3e-9a51-2d6e4f1a9b30";  // no user.created here yet
  const std::string unknown = "5d1f2c3b-6a7e-4b8c-9d0e-1f2a3b4c5d6e";
  auto before = manager_->MatrixIdOf(fresh);
  EXPECT_TRUE(absl::IsUnavailable(before.status())) << before.status();

  std::vector<std::string> asked;
  manager_->SetAccountLookup(
      [&asked, &fresh](const std::string& user_id) -> absl::StatusOr<std::optional<AuthAccount>> {
        asked.push_back(user_id);
        if (user_id == fresh) return AuthAccount{fresh, "freshly", absl::Now()};
        return std::nullopt;
      });
  auto ids = manager_->MatrixIdsOf({alice_, fresh});
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->at(fresh), "@freshly:localhost");
  EXPECT_EQ(ids->at(alice_), "@alice:localhost");
  EXPECT_EQ(asked, std::vector<std::string>{fresh}) << "only the account storage lacks";
  auto again = manager_->MatrixIdOf(fresh);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, "@freshly:localhost");
  EXPECT_EQ(asked.size(), 1u) << "remembered: user names never change";
  auto none = manager_->MatrixIdOf(unknown);
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();

  manager_->SetAccountLookup([](const std::string&) -> absl::StatusOr<std::optional<AuthAccount>> {
    return absl::UnavailableError("auth down");
  });
  auto down = manager_->MatrixIdOf(unknown);
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
}

}  // namespace
}  // namespace messenger::messaging
