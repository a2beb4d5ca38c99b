// RoomWriter's message path against an in-memory store: the room is loaded
// when missing, a room another writer moved on is reloaded and the message
// built again on the new tip, the idempotency key is the one duplicate check,
// a batch confirmation can refuse a message, and the auth rules refuse
// non-members. Nothing refused takes a seq.
#include "messaging-service/src/writer/room_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common/trace.h"
#include "messaging-service/src/domain/matrix/event.h"

namespace messenger::messaging {
namespace {

constexpr char kServer[] = "localhost";
constexpr char kRoomId[] = "!abcdefghijklmnopqr:localhost";
constexpr char kAlice[] = "0000000a-0000-4000-8000-000000000000";
constexpr char kBob[] = "0000000b-0000-4000-8000-000000000000";
constexpr char kEve[] = "0000000e-0000-4000-8000-000000000000";
constexpr char kAliceId[] = "@alice:localhost";
constexpr char kBobId[] = "@bob:localhost";
constexpr char kEveId[] = "@eve:localhost";

class CountingRng final : public Rng {
 public:
  void Fill(void* data, size_t size) override {
    auto* bytes = static_cast<uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) bytes[i] = ++next_;
  }

 private:
  uint8_t next_ = 0;
};

// One room in memory, appended to as the batch statement would.
class FakeStore final : public MessagingStore {
 public:
  std::mutex mutex;
  RoomRow row;
  std::vector<std::string> state_pdus;
  std::vector<std::string> joined;
  std::vector<StoredEvent> events;
  std::set<std::string> keys;  // device/client_msg_id of sender
  int loads = 0;
  bool hold = false;
  std::condition_variable released;
  std::map<std::string, std::string> event_traces;  // client_msg_id -> outbox event's trace id

  absl::StatusOr<bool> AppendMessage(const FastMessage& m) override {
    {
      // Writes wait while `hold` is set (tests that pile up queued sends).
      std::unique_lock lock(mutex);
      released.wait(lock, [&] { return !hold; });
      event_traces[m.client_msg_id] = m.outbox_event.trace_id;
    }
    std::lock_guard lock(mutex);
    if (keys.contains(Key(m))) return absl::AlreadyExistsError("client_msg_id already used");
    if (m.event.room_id != row.room_id || m.event.seq != row.last_seq + 1) return false;
    keys.insert(Key(m));
    row.last_seq = m.event.seq;
    row.depth = m.depth;
    row.tip_event_id = m.event.event_id;
    events.push_back(m.event);
    return true;
  }
  absl::StatusOr<std::vector<bool>> AppendMessages(
      const std::vector<const FastMessage*>& messages) override {
    std::vector<bool> out;
    for (const FastMessage* m : messages) {
      ASSIGN_OR_RETURN(bool appended, AppendMessage(*m));
      out.push_back(appended);
    }
    return out;
  }
  absl::Status Transaction(const std::function<absl::Status(MessagingTx&)>& fn) override {
    Tx tx(*this);
    return fn(tx);
  }
  std::unique_ptr<MessagingTx> Within(pg::Tx&) override { std::abort(); }
  absl::StatusOr<std::map<std::string, std::string>> Usernames(
      const std::vector<std::string>&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> SigningKey() override {
    return Unused();
  }
  absl::Status SaveSigningKey(const std::string&, const std::string&) override { return Unused(); }
  absl::StatusOr<std::pair<uint64_t, uint64_t>> StreamHorizon() override { return Unused(); }
  absl::StatusOr<std::optional<SentRecord>> FindSent(const std::string&, const std::string&,
                                                     const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<RoomRow>> FindDirectRoom(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<RoomRow>> FindSupersededDirectRoom(const std::string&,
                                                                  const std::string&,
                                                                  const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<RoomRow>> GetRoom(const std::string&) override { return Unused(); }
  absl::StatusOr<std::vector<std::string>> JoinedMembers(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<std::string>> Membership(const std::string&,
                                                        const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<MessageRow>> Messages(const std::string&, int64_t, int) override {
    return Unused();
  }
  absl::StatusOr<std::vector<ConversationRow>> Conversations(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<SyncPage> SyncRows(const std::string&, SyncKey, int) override { return Unused(); }
  absl::StatusOr<std::vector<std::string>> JoinedRoomIds(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<int64_t>> StateGroupOf(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<StateEntry>> StateAfter(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<TargetFacts>> FindTarget(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<std::string>> FindReaction(const std::string&, const std::string&,
                                                          const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<std::string>> PowerLevelsPdu(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::map<std::string, MessageNotes>> MessageNotesOf(
      const std::string&, const std::vector<std::string>&) override {
    return Unused();
  }
  absl::StatusOr<std::map<std::string, RelatedEvent>> RelatedEvents(
      const std::vector<std::string>&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<MembershipAt>> FindMembership(const std::string&,
                                                             const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<ConversationRow>> LeftConversations(const std::string&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<SyncPage>> SyncRowsMany(const std::vector<SyncRequest>&,
                                                     int) override {
    return Unused();
  }

 private:
  static absl::Status Unused() { return absl::UnimplementedError("not used by the writer"); }
  static std::string Key(const FastMessage& m) {
    return m.event.sender + "/" + m.device_id + "/" + m.client_msg_id;
  }

  // The message path loads rooms and writes through the batch; state writes
  // land here as they go (no rollback: the tests that use them succeed or
  // fail before the first write).
  class Tx final : public MessagingTx {
   public:
    explicit Tx(FakeStore& store) : store_(store) {}
    pg::Tx& tx() override { std::abort(); }
    absl::StatusOr<std::optional<RoomRow>> LockRoom(const std::string& room_id) override {
      std::lock_guard lock(store_.mutex);
      ++store_.loads;
      if (room_id != store_.row.room_id) return std::nullopt;
      return store_.row;
    }
    absl::StatusOr<std::vector<std::string>> CurrentStatePdus(const std::string&) override {
      std::lock_guard lock(store_.mutex);
      return store_.state_pdus;
    }
    absl::StatusOr<std::vector<std::string>> JoinedMembers(const std::string&) override {
      std::lock_guard lock(store_.mutex);
      return store_.joined;
    }
    absl::Status InsertRoom(const RoomRow&) override { return Unused(); }
    absl::Status UpdateRoom(const RoomRow& row, const std::optional<std::string>&) override {
      std::lock_guard lock(store_.mutex);
      store_.row = row;
      return absl::OkStatus();
    }
    absl::Status InsertEvent(const StoredEvent& e) override {
      std::lock_guard lock(store_.mutex);
      store_.events.push_back(e);
      return absl::OkStatus();
    }
    absl::StatusOr<int64_t> NewStateGroup(const std::string&, int64_t previous,
                                          const std::vector<StateEntry>&,
                                          const std::vector<StateEntry>&) override {
      return previous + 1;
    }
    absl::Status PutCurrentState(const std::string&, const StateEntry&) override {
      return absl::OkStatus();
    }
    absl::Status PutMembership(const std::string&, const std::string& user,
                               const std::string& membership, const std::string&) override {
      std::lock_guard lock(store_.mutex);
      auto& joined = store_.joined;
      joined.erase(std::remove(joined.begin(), joined.end(), user), joined.end());
      if (membership == "join") joined.push_back(user);
      return absl::OkStatus();
    }
    absl::StatusOr<bool> InsertSent(const std::string&, const std::string&, const std::string&,
                                    const std::string&, const std::string&) override {
      return Unused();
    }
    absl::StatusOr<bool> AdvanceReceipt(const std::string&, const std::string&, int64_t,
                                        absl::Time) override {
      return Unused();
    }
    absl::Status InsertNotice(const std::string&, const std::string&,
                              const std::optional<std::string>&,
                              const std::optional<std::string>&) override {
      return Unused();
    }
    absl::Status SetDirectReadOnly(const std::string&, bool) override { return Unused(); }
    absl::Status MoveDirectKey(const std::string&, const std::string&,
                               const std::string&) override {
      return Unused();
    }
    absl::Status AddUser(const std::string&, const std::string&) override { return Unused(); }
    absl::Status Enqueue(const bus::Event&) override { return Unused(); }
    absl::Status InsertRelation(const RelationRow&) override { return Unused(); }
    absl::Status InsertRemoteRelation(const RelationRow&) override { return Unused(); }
    absl::StatusOr<std::optional<std::string>> LocalUsername(const std::string&) override {
      return Unused();
    }
    absl::StatusOr<std::optional<RelatedTarget>> RelatedTargetOf(const std::string&) override {
      return Unused();
    }
    absl::Status InsertRedaction(const std::string&, const std::string&, const std::string&,
                                 int64_t) override {
      return Unused();
    }
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PdusToRedact(
        const std::string&) override {
      return Unused();
    }
    absl::Status ReplaceRedacted(const std::string&, const std::string&) override {
      return Unused();
    }
    absl::Status InsertRoomNotices(const std::string&, const std::string&,
                                   const std::optional<std::string>&) override {
      return Unused();
    }
    absl::Status EnqueueOutgoingPdu(const std::string&, const std::string&,
                                    const std::vector<std::string>& destinations) override {
      return destinations.empty() ? absl::OkStatus() : Unused();
    }
    absl::StatusOr<MemberProfile> ProfileOf(const std::string&) override {
      return MemberProfile{};
    }

   private:
    FakeStore& store_;
  };
};

class RoomWriterTest : public ::testing::Test {
 protected:
  RoomWriterTest() : key_(*matrix::Ed25519Key::FromSeed(std::string(32, '\x05'), "k1")) {}

  void SetUp() override {
    // A group of alice and bob as stored by an earlier process.
    matrix::NewRoomOptions options;
    options.room_id = kRoomId;
    options.creator = kAliceId;
    options.origin_server_ts = 1'800'000'000'000;
    absl::StatusOr<matrix::CreatedRoom> created = matrix::CreateRoom(options, kServer, key_);
    ASSERT_TRUE(created.ok()) << created.status();
    other_.emplace(std::move(created->room));
    int64_t seq = static_cast<int64_t>(created->events.size());
    ASSERT_TRUE(
        OtherAppends(kAliceId, matrix::kMemberType, kBobId, {{"membership", "invite"}}).ok());
    ASSERT_TRUE(OtherAppends(kBobId, matrix::kMemberType, kBobId, {{"membership", "join"}}).ok());
    seq += 2;
    store_.row.room_id = kRoomId;
    store_.row.kind = "group";
    store_.row.creator = kAlice;
    store_.row.last_seq = seq;
    store_.row.depth = other_->depth();
    store_.row.tip_event_id = other_->forward_extremities().front();
    for (const auto& [key, event] : other_->state())
      store_.state_pdus.push_back(event.canonical_json());
    store_.joined = {kAlice, kBob};
    hub_.AddListener([this](const std::vector<std::string>& users) {
      std::lock_guard lock(woken_mutex_);
      woken_.insert(users.begin(), users.end());
    });
  }

  // Another process's write of a state or message event, straight into the store.
  absl::StatusOr<matrix::Event> OtherAppends(const std::string& sender, const std::string& type,
                                             std::optional<std::string> state_key,
                                             nlohmann::json content) {
    ASSIGN_OR_RETURN(matrix::Event event, other_->Append({sender, type, std::move(state_key),
                                                          std::move(content), std::nullopt},
                                                         ++ts_, kServer, key_));
    std::lock_guard lock(store_.mutex);
    store_.row.last_seq += 1;
    store_.row.depth = event.depth();
    store_.row.tip_event_id = event.event_id();
    return event;
  }

  std::unique_ptr<RoomWriter> Writer(MessageBatcher::Confirm confirm = nullptr) {
    return std::make_unique<RoomWriter>(store_, announcer_, kServer, key_, clock_, rng_,
                                        RoomWriter::Options{}, std::move(confirm));
  }

  static MessageWrite Message(const std::string& sender, const std::string& sender_mxid,
                              const std::string& client_msg_id, const std::string& text) {
    return MessageWrite{kRoomId,
                        std::nullopt,
                        {{sender_mxid,
                          matrix::kMessageType,
                          std::nullopt,
                          {{"msgtype", "m.text"}, {"body", text}},
                          std::nullopt},
                         sender,
                         std::nullopt},
                        "dev",
                        client_msg_id,
                        "hash-" + client_msg_id};
  }

  static std::vector<std::string> PrevEvents(const StoredEvent& e) {
    absl::StatusOr<matrix::Event> event = matrix::Event::Parse(e.pdu);
    EXPECT_TRUE(event.ok()) << event.status();
    return event.ok() ? event->prev_events() : std::vector<std::string>{};
  }

  matrix::Ed25519Key key_;
  FakeStore store_;
  WakeLog log_;
  WaitHub hub_;
  CommitAnnouncer announcer_{log_, hub_};
  FakeClock clock_;
  CountingRng rng_;
  std::optional<matrix::Room> other_;
  int64_t ts_ = 1'800'000'000'000;
  std::mutex woken_mutex_;
  std::set<std::string> woken_;
};

TEST_F(RoomWriterTest, LoadsAnUnloadedRoomAndCommitsOnItsTip) {
  auto writer = Writer();
  const int64_t before = store_.row.last_seq;
  const std::string tip = store_.row.tip_event_id;
  absl::StatusOr<StoredEvent> e = writer->WriteMessage(Message(kAlice, kAliceId, "m1", "hi"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->seq, before + 1);
  EXPECT_EQ(PrevEvents(*e), std::vector<std::string>{tip});
  EXPECT_EQ(store_.row.tip_event_id, e->event_id);
  EXPECT_EQ(store_.loads, 1);
  // Its readers are in the wake log (this replica answers them from the
  // database now), and their long polls were woken.
  EXPECT_TRUE(log_.MayHaveAfter(kBob, SyncKey::Below(1'000'000)));
  std::lock_guard lock(woken_mutex_);
  EXPECT_EQ(woken_, (std::set<std::string>{kAlice, kBob}));
}

TEST_F(RoomWriterTest, ARoomMovedOnByAnotherWriterIsReloadedAndTheMessageRebuilt) {
  auto writer = Writer();
  absl::StatusOr<StoredEvent> mine = writer->WriteMessage(Message(kAlice, kAliceId, "m1", "one"));
  ASSERT_TRUE(mine.ok()) << mine.status();
  // Another replica (the room's new owner for a while) sees m1 and commits one.
  absl::StatusOr<matrix::Event> m1 = matrix::Event::Parse(mine->pdu);
  ASSERT_TRUE(m1.ok() && other_->Accept(*m1).ok());
  absl::StatusOr<matrix::Event> theirs = OtherAppends(kBobId, matrix::kMessageType, std::nullopt,
                                                      {{"msgtype", "m.text"}, {"body", "x"}});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  absl::StatusOr<StoredEvent> e = writer->WriteMessage(Message(kBob, kBobId, "m2", "two"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->seq, store_.row.last_seq);
  EXPECT_EQ(PrevEvents(*e), std::vector<std::string>{theirs->event_id()});
  EXPECT_EQ(store_.loads, 2);  // once at first use, once after the refused append
  EXPECT_EQ(store_.events.size(), 2u);
}

TEST_F(RoomWriterTest, ATakenKeyIsAnsweredAlreadyExistsAndTakesNoSeq) {
  auto writer = Writer();
  absl::StatusOr<StoredEvent> first = writer->WriteMessage(Message(kAlice, kAliceId, "k", "a"));
  ASSERT_TRUE(first.ok());
  absl::StatusOr<StoredEvent> again = writer->WriteMessage(Message(kAlice, kAliceId, "k", "a"));
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  absl::StatusOr<StoredEvent> next = writer->WriteMessage(Message(kAlice, kAliceId, "k2", "b"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->seq, first->seq + 1);
  EXPECT_EQ(PrevEvents(*next), std::vector<std::string>{first->event_id});
  EXPECT_EQ(store_.events.size(), 2u);
}

TEST_F(RoomWriterTest, TheBatchConfirmationRefusesWithoutWriting) {
  std::atomic<bool> refuse{true};
  auto writer = Writer([&](const std::vector<const FastMessage*>& messages) {
    return std::vector<absl::Status>(
        messages.size(),
        refuse ? absl::PermissionDeniedError("no longer friends") : absl::OkStatus());
  });
  absl::StatusOr<StoredEvent> refused = writer->WriteMessage(Message(kAlice, kAliceId, "a", "x"));
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_TRUE(store_.events.empty());
  refuse = false;
  const int64_t before = store_.row.last_seq;
  absl::StatusOr<StoredEvent> e = writer->WriteMessage(Message(kAlice, kAliceId, "b", "y"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->seq, before + 1);
}

TEST_F(RoomWriterTest, TheAuthRulesRefuseANonMember) {
  auto writer = Writer();
  absl::StatusOr<StoredEvent> e = writer->WriteMessage(Message(kEve, kEveId, "a", "x"));
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE(store_.events.empty());
  EXPECT_TRUE(writer->WriteMessage(Message(kBob, kBobId, "b", "y")).ok());
}

// TryWriteMessage only try-locks the room (a load may hold it across IO), so
// a commit thread settling the previous message can make it answer false for
// a moment; that is allowed (the caller takes the waiting path). Holding the
// commits keeps the commit threads away from the room here, so every call
// below must be taken from memory and queued in order.
TEST_F(RoomWriterTest, FromMemoryOnlyWhenLoadedThenInOrderWithoutWaiting) {
  auto writer = Writer();
  // Not loaded: the caller must take a thread that may wait.
  EXPECT_FALSE(writer->TryWriteMessage(Message(kAlice, kAliceId, "a", "x"), [](auto) {}));
  ASSERT_TRUE(writer->WriteMessage(Message(kAlice, kAliceId, "b", "y")).ok());
  {
    std::lock_guard lock(store_.mutex);
    store_.hold = true;
  }
  constexpr int kCount = 20;
  std::vector<std::promise<absl::StatusOr<std::optional<StoredEvent>>>> answers(kCount);
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(writer->TryWriteMessage(
        Message(kBob, kBobId, "q" + std::to_string(i), "z"),
        [&answers, i](auto written) { answers[i].set_value(std::move(written)); }));
  }
  {
    std::lock_guard lock(store_.mutex);
    store_.hold = false;
  }
  store_.released.notify_all();
  int64_t last = 0;
  for (auto& answer : answers) {
    absl::StatusOr<std::optional<StoredEvent>> written = answer.get_future().get();
    ASSERT_TRUE(written.ok() && written->has_value()) << written.status();
    if (last != 0) {
      EXPECT_EQ((*written)->seq, last + 1);
    }
    last = (*written)->seq;
  }
  EXPECT_EQ(store_.events.size(), kCount + 1u);
}

// A send queued behind the room's message in flight is built on the commit
// thread that settles that message: its message.sent must still carry the
// trace of the request that sent it, not the commit thread's (none).
TEST_F(RoomWriterTest, QueuedSendsKeepTheirSendersTraceIds) {
  auto writer = Writer();
  ASSERT_TRUE(writer->WriteMessage(Message(kAlice, kAliceId, "load", "x")).ok());
  {
    std::lock_guard lock(store_.mutex);
    store_.hold = true;  // the first send stays in flight: the others queue
  }
  constexpr int kCount = 10;
  std::vector<std::promise<absl::StatusOr<std::optional<StoredEvent>>>> answers(kCount);
  std::map<std::string, std::string> traces;
  for (int i = 0; i < kCount; ++i) {
    const std::string key = absl::StrCat("t", i);
    traces[key] = trace::NewTraceId();
    trace::ScopedTrace scoped(traces[key]);
    ASSERT_TRUE(writer->TryWriteMessage(
        Message(kBob, kBobId, key, "z"),
        [&answers, i](auto written) { answers[i].set_value(std::move(written)); }));
  }
  {
    std::lock_guard lock(store_.mutex);
    store_.hold = false;
  }
  store_.released.notify_all();
  for (auto& answer : answers) {
    absl::StatusOr<std::optional<StoredEvent>> written = answer.get_future().get();
    ASSERT_TRUE(written.ok() && written->has_value()) << written.status();
  }
  std::lock_guard lock(store_.mutex);
  for (const auto& [key, trace_id] : traces) {
    EXPECT_EQ(store_.event_traces[key], trace_id) << key;
  }
}

// Planned state writes: the planner runs under the room lock on the room as
// it is (reloaded when another writer moved it on), so what it reads to
// decide and what is written cannot drift apart.
WriteDraft PowerLevelsDraft(nlohmann::json content) {
  return WriteDraft{{kAliceId, matrix::kPowerLevelsType, "", std::move(content), std::nullopt},
                    kAlice,
                    std::nullopt};
}

TEST_F(RoomWriterTest, ThePlannerSeesTheStateAnotherWriterCommitted) {
  auto writer = Writer();
  ASSERT_TRUE(writer->WriteMessage(Message(kAlice, kAliceId, "load", "x")).ok());
  nlohmann::json levels = other_->state().power_levels()->content();
  levels["users"][kBobId] = 50;
  ASSERT_TRUE(OtherAppends(kAliceId, matrix::kPowerLevelsType, "", levels).ok());
  {
    std::lock_guard lock(store_.mutex);
    store_.state_pdus.clear();
    for (const auto& [key, event] : other_->state()) {
      store_.state_pdus.push_back(event.canonical_json());
    }
  }
  nlohmann::json seen_level;
  std::vector<std::string> seen_joined;
  bool extra_ran = false;
  absl::StatusOr<std::vector<StoredEvent>> written = writer->WriteState(
      kRoomId,
      [&](const matrix::Room& room,
          const std::vector<std::string>& joined) -> absl::StatusOr<std::vector<WriteDraft>> {
        seen_level = room.state().power_levels()->content()["users"][kBobId];
        seen_joined = joined;
        nlohmann::json next = room.state().power_levels()->content();
        next["users"][kBobId] = 60;
        return std::vector<WriteDraft>{PowerLevelsDraft(std::move(next))};
      },
      [&](MessagingTx&, const std::vector<StoredEvent>& events, const std::vector<std::string>&) {
        extra_ran = events.size() == 1;
        return absl::OkStatus();
      });
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(seen_level, nlohmann::json(50));
  EXPECT_EQ(seen_joined, (std::vector<std::string>{kAlice, kBob}));
  EXPECT_TRUE(extra_ran);
  ASSERT_EQ(written->size(), 1u);
  EXPECT_EQ(written->front().seq, store_.row.last_seq);
  EXPECT_EQ(store_.row.tip_event_id, written->front().event_id);
}

TEST_F(RoomWriterTest, ConcurrentPlannedWritesEachBuildOnTheLast) {
  auto writer = Writer();
  constexpr int kWriters = 8;
  std::vector<std::thread> threads;
  std::vector<absl::Status> answers(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      answers[i] =
          writer
              ->WriteState(
                  kRoomId,
                  [i](const matrix::Room& room,
                      const std::vector<std::string>&) -> absl::StatusOr<std::vector<WriteDraft>> {
                    nlohmann::json next = room.state().power_levels()->content();
                    next["users"][absl::StrCat("@u", i, ":localhost")] = i + 1;
                    return std::vector<WriteDraft>{PowerLevelsDraft(std::move(next))};
                  },
                  nullptr)
              .status();
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& answer : answers) EXPECT_TRUE(answer.ok()) << answer;
  nlohmann::json last;
  ASSERT_TRUE(writer
                  ->WriteState(
                      kRoomId,
                      [&](const matrix::Room& room, const std::vector<std::string>&)
                          -> absl::StatusOr<std::vector<WriteDraft>> {
                        last = room.state().power_levels()->content();
                        return std::vector<WriteDraft>{};
                      },
                      nullptr)
                  .ok());
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_EQ(last["users"].value(absl::StrCat("@u", i, ":localhost"), 0), i + 1) << i;
  }
}

TEST_F(RoomWriterTest, AnEmptyPlanWritesNothingAndARefusalIsAnswered) {
  auto writer = Writer();
  const int64_t before = store_.row.last_seq;
  bool extra_ran = false;
  auto extra = [&](MessagingTx&, const std::vector<StoredEvent>&, const std::vector<std::string>&) {
    extra_ran = true;
    return absl::OkStatus();
  };
  absl::StatusOr<std::vector<StoredEvent>> none = writer->WriteState(
      kRoomId,
      [](const matrix::Room&, const std::vector<std::string>&)
          -> absl::StatusOr<std::vector<WriteDraft>> { return std::vector<WriteDraft>{}; },
      extra);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  absl::StatusOr<std::vector<StoredEvent>> refused = writer->WriteState(
      kRoomId,
      [](const matrix::Room&,
         const std::vector<std::string>&) -> absl::StatusOr<std::vector<WriteDraft>> {
        return absl::PermissionDeniedError("not an admin");
      },
      extra);
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_FALSE(extra_ran);
  EXPECT_EQ(store_.row.last_seq, before);
  EXPECT_TRUE(store_.events.empty());
  // The fixed-drafts overload is the same path.
  nlohmann::json levels = other_->state().power_levels()->content();
  levels["users"][kBobId] = 10;
  absl::StatusOr<std::vector<StoredEvent>> fixed =
      writer->WriteState(kRoomId, {PowerLevelsDraft(levels)}, extra);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_TRUE(extra_ran);
  EXPECT_EQ(store_.row.last_seq, before + 1);
}

}  // namespace
}  // namespace messenger::messaging
