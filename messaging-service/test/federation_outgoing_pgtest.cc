// Outgoing federation's queue (issue 16): a locally written event of a room
// with members on other servers commits one federation_outgoing row per
// server with it; a remote event is not queued (its origin fans out); a
// server whose last member left gets no more events after its leave; a
// persisted EDU travels in a transaction like a PDU.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/bus/consumer.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/federation/outgoing_store.h"
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/src/federation/send_backoff.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/service/relations_manager.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/messaging_pg_fixture.h"
#include "messaging_migrations.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;  // destination, event id

constexpr char kRemote[] = "remote.test";
constexpr char kBobId[] = "@bob:remote.test";

constexpr pg::Query kOutbox{"t_outbox", "SELECT subject, payload FROM outbox ORDER BY seq"};
constexpr pg::Query kClearOutbox{"t_clear_outbox", "DELETE FROM outbox"};

// Everyone is everyone's friend here; the contact policy has its own tests.

class FederationOutgoingTest : public testing_users::MessagingPgFixture<> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(4));
    alice_ = LocalUser("alice");
    carol_ = LocalUser("carol");
    bob_ = federation::RemoteUserUuid(kBobId);
    ASSERT_TRUE(
        store_->Transaction([&](MessagingTx& tx) { return tx.AddUser(bob_, kBobId); }).ok());
    absl::StatusOr<RoomRow> room = manager_->CreateGroup(alice_, "fed", {carol_});
    ASSERT_TRUE(room.ok()) << room.status();
    room_id_ = room->room_id;
  }

  Rows Queued() {
    absl::StatusOr<pg::Result> r = pool_->Exec(
        {"t_outgoing", "SELECT destination, event_id FROM federation_outgoing ORDER BY id"});
    EXPECT_TRUE(r.ok()) << r.status();
    Rows out;
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      out.emplace_back(r->GetString(i, 0), r->GetString(i, 1));
    }
    return out;
  }

  absl::StatusOr<StoredEvent> Member(const std::string& sender, const std::string& sender_id,
                                     const std::string& membership) {
    ASSIGN_OR_RETURN(std::vector<StoredEvent> written,
                     manager_->writer().WriteState(room_id_,
                                                   {WriteDraft{{sender,
                                                                matrix::kMemberType,
                                                                std::string(kBobId),
                                                                {{"membership", membership}},
                                                                std::nullopt},
                                                               sender_id,
                                                               bob_}},
                                                   nullptr));
    return written.at(0);
  }

  // Bob's own membership event, built and signed by his server.
  absl::StatusOr<StoredEvent> RemoteMember(const std::string& membership) {
    return RemoteEvent(matrix::kMemberType, std::string(kBobId), {{"membership", membership}});
  }

  // An event of bob's, built and signed by his server, written as /send would.
  absl::StatusOr<StoredEvent> RemoteEvent(const std::string& type,
                                          std::optional<std::string> state_key,
                                          nlohmann::json content,
                                          std::optional<std::string> redacts = std::nullopt) {
    matrix::StateMap state;
    std::optional<RoomRow> row;
    RETURN_IF_ERROR(store_->Transaction([&](MessagingTx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(row, tx.LockRoom(room_id_));
      ASSIGN_OR_RETURN(std::vector<std::string> pdus, tx.CurrentStatePdus(room_id_));
      for (const std::string& pdu : pdus) {
        ASSIGN_OR_RETURN(matrix::Event event, matrix::Event::Parse(pdu));
        RETURN_IF_ERROR(state.Put(event));
      }
      return absl::OkStatus();
    }));
    matrix::Room copy =
        matrix::Room::Restore(room_id_, std::move(state), row->Extremities(), row->depth);
    ASSIGN_OR_RETURN(matrix::Event event,
                     copy.Append({kBobId, type, state_key, std::move(content), redacts},
                                 absl::ToUnixMillis(absl::Now()), kRemote, remote_key_));
    std::optional<std::string> member;
    if (state_key) member = bob_;
    return manager_->writer().WriteRemoteEvent(
        room_id_, {event, bob_, member},
        [](const matrix::Room&)
            -> absl::StatusOr<std::optional<messaging::RoomWriter::ForkedWrite>> {
          return std::nullopt;
        },
        nullptr);
  }

  absl::StatusOr<std::string> Say(const std::string& text) {
    ASSIGN_OR_RETURN(SentMessage sent,
                     manager_->Send({alice_, "dev", std::nullopt, room_id_, text, text}));
    return sent.message.event_id;
  }

  matrix::Ed25519Key remote_key_ = *matrix::Ed25519Key::Generate(SecureRng::Instance(), "r");
  std::string alice_, bob_, carol_, room_id_;
};

TEST_F(FederationOutgoingTest, LocalEventsOfAFederatedRoomAreQueuedWithTheirWrite) {
  ASSERT_TRUE(Say("before").ok());
  ASSERT_TRUE(Member("@alice:localhost", alice_, "invite").ok());
  EXPECT_EQ(Queued(), Rows{}) << "no other server has joined yet";

  absl::StatusOr<StoredEvent> join = RemoteMember("join");
  ASSERT_TRUE(join.ok()) << join.status();
  EXPECT_EQ(Queued(), Rows{}) << "a remote event is not sent back to its origin";

  absl::StatusOr<std::string> hello = Say("hello");
  ASSERT_TRUE(hello.ok()) << hello.status();
  absl::StatusOr<std::string> again = Say("again");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Queued(), (Rows{{kRemote, *hello}, {kRemote, *again}}));

  // A local state event (the kick) reaches the server that leaves with it.
  absl::StatusOr<StoredEvent> kick = Member("@alice:localhost", alice_, "leave");
  ASSERT_TRUE(kick.ok()) << kick.status();
  ASSERT_TRUE(Say("after").ok());
  EXPECT_EQ(Queued(), (Rows{{kRemote, *hello}, {kRemote, *again}, {kRemote, kick->event_id}}));
}

// Analytics tell messages of other servers' users apart: message.received,
// naming the sender and its server, and no message.sent.
TEST_F(FederationOutgoingTest, AMessageOfARemoteUserIsPublishedAsMessageReceived) {
  ASSERT_TRUE(Member("@alice:localhost", alice_, "invite").ok());
  ASSERT_TRUE(RemoteMember("join").ok());
  ASSERT_TRUE(pool_->Exec(kClearOutbox).ok());
  absl::StatusOr<StoredEvent> hi =
      RemoteEvent(matrix::kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}});
  ASSERT_TRUE(hi.ok()) << hi.status();
  absl::StatusOr<pg::Result> outbox = pool_->Exec(kOutbox);
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  ASSERT_EQ(outbox->rows(), 1);
  EXPECT_EQ(outbox->GetString(0, 0), "message.received");
  const nlohmann::json data = nlohmann::json::parse(outbox->GetString(0, 1))["data"];
  EXPECT_EQ(data["message_id"], hi->event_id);
  EXPECT_EQ(data["sender_id"], bob_);
  EXPECT_EQ(data["sender_matrix_id"], kBobId);
  EXPECT_EQ(data["origin"], kRemote);
  std::vector<std::string> recipients = data["recipients"];
  std::sort(recipients.begin(), recipients.end());
  std::vector<std::string> expected = {alice_, carol_};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(recipients, expected) << "the local members, not the sender";
  EXPECT_EQ(data.dump().find("\"hi\""), std::string::npos) << "no text";
}

// A remote user's edit, reaction and delete show in /v1 history as a local
// user's do; a delete of another server's user's message by someone without
// the redact level deletes nothing (the event is kept, unapplied).
TEST_F(FederationOutgoingTest, RemoteEditsReactionsAndDeletesShowLikeLocalOnes) {
  ASSERT_TRUE(Member("@alice:localhost", alice_, "invite").ok());
  ASSERT_TRUE(RemoteMember("join").ok());
  absl::StatusOr<StoredEvent> typo =
      RemoteEvent(matrix::kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "typo"}});
  ASSERT_TRUE(typo.ok()) << typo.status();
  absl::StatusOr<std::string> alices = Say("alice's");
  ASSERT_TRUE(alices.ok()) << alices.status();
  ASSERT_TRUE(RemoteEvent(matrix::kMessageType, std::nullopt, EditContent(typo->event_id, "fixed"))
                  .ok());
  for (int i = 0; i < 2; ++i) {  // the second is a duplicate: kept, not counted
    ASSERT_TRUE(
        RemoteEvent(kReactionType, std::nullopt, ReactionContent(*alices, "\xF0\x9F\x91\x8D")).ok());
  }
  ASSERT_TRUE(RemoteEvent(kRedactionType, std::nullopt, nlohmann::json::object(), *alices).ok());

  RelationsManager relations(*store_, *manager_, SystemClock::Instance(), SecureRng::Instance());
  const auto history = [&]() {
    absl::StatusOr<HistoryPage> page = manager_->History(alice_, room_id_, 0, 50);
    EXPECT_TRUE(page.ok()) << page.status();
    std::map<std::string, MessageRow> out;
    if (!page.ok()) return out;
    std::vector<MessageRow*> rows;
    for (MessageRow& m : page->messages) rows.push_back(&m);
    EXPECT_TRUE(relations.Annotate(alice_, rows).ok());
    for (const MessageRow& m : page->messages) out[m.event_id] = m;
    return out;
  };
  std::map<std::string, MessageRow> shown = history();
  ASSERT_EQ(shown.size(), 2u) << "the edit is not a message of its own";
  EXPECT_EQ(shown[typo->event_id].notes.edited_text.value_or(""), "fixed");
  EXPECT_EQ(shown[*alices].notes.reactions,
            (std::vector<ReactionCount>{{"\xF0\x9F\x91\x8D", 1, false}}));
  EXPECT_FALSE(shown[*alices].notes.deleted) << "bob may not delete alice's message";

  ASSERT_TRUE(RemoteEvent(kRedactionType, std::nullopt, nlohmann::json::object(), typo->event_id)
                  .ok());
  shown = history();
  EXPECT_TRUE(shown[typo->event_id].notes.deleted);
  EXPECT_EQ(shown[typo->event_id].pdu.find("typo"), std::string::npos) << "the text is gone";
  EXPECT_EQ(shown[typo->event_id].notes.edited_text.value_or(""), "") << "its edits go with it";
}

// The sender's side of the queue: a transaction keeps its txnId and its
// PDUs across retries (later PDUs wait for the next one), rows go only when
// delivered, a failed destination waits out its backoff, and a second
// replica cannot take a destination whose lease is held.
TEST_F(FederationOutgoingTest, TransactionsAreStableAcrossRetriesAndLeased) {
  ASSERT_TRUE(Member("@alice:localhost", alice_, "invite").ok());
  ASSERT_TRUE(RemoteMember("join").ok());
  std::vector<std::string> said;
  for (int i = 0; i < 3; ++i) {
    said.push_back("m" + std::to_string(i));
    ASSERT_TRUE(Say(said.back()).ok());
  }
  // PDUs of room version 10 carry no event id: told apart by their text.
  auto ids = [](const federation::OutgoingTxn& txn) {
    std::vector<std::string> out;
    for (const std::string& pdu : txn.pdus) {
      out.push_back(nlohmann::json::parse(pdu)["content"].value("body", ""));
    }
    return out;
  };
  federation::PgOutgoingStore store(*pool_);
  absl::StatusOr<std::vector<federation::QueuedDestination>> queued = store.Destinations();
  ASSERT_TRUE(queued.ok()) << queued.status();
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].destination, kRemote);
  EXPECT_EQ((*queued)[0].depth, 3);

  auto first = store.Claim(kRemote, "a", absl::Seconds(60), 2);
  ASSERT_TRUE(first.ok() && *first) << first.status();
  EXPECT_EQ(ids(**first), (std::vector<std::string>{said[0], said[1]}));
  // Another replica: the lease is held.
  auto other = store.Claim(kRemote, "b", absl::Seconds(60), 2);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);

  // Failed: nothing before the backoff ends, then the same transaction.
  ASSERT_TRUE(Say("later").ok());
  ASSERT_TRUE(store.Failed(kRemote, absl::Hours(1)).ok());
  auto waiting = store.Claim(kRemote, "a", absl::Seconds(60), 50);
  ASSERT_TRUE(waiting.ok());
  EXPECT_FALSE(*waiting) << "backing off";
  ASSERT_TRUE(store.Failed(kRemote, absl::ZeroDuration()).ok());
  auto retry = store.Claim(kRemote, "b", absl::Seconds(60), 50);
  ASSERT_TRUE(retry.ok() && *retry) << retry.status();
  EXPECT_EQ((*retry)->txn_id, (*first)->txn_id);
  EXPECT_EQ(ids(**retry), ids(**first)) << "a retry carries exactly the same PDUs";
  EXPECT_EQ((*retry)->failures, 2);

  ASSERT_TRUE(store.Delivered(kRemote, (*retry)->txn_id).ok());
  auto next = store.Claim(kRemote, "b", absl::Seconds(60), 50);
  ASSERT_TRUE(next.ok() && *next) << next.status();
  EXPECT_NE((*next)->txn_id, (*first)->txn_id);
  EXPECT_EQ(ids(**next), (std::vector<std::string>{said[2], "later"}));
  EXPECT_EQ((*next)->failures, 0) << "reset by the delivery";
  ASSERT_TRUE(store.Delivered(kRemote, (*next)->txn_id).ok());
  EXPECT_EQ(Queued(), Rows{});
}

// A persisted EDU row (V059: a to-device message) rides in a transaction
// with the PDUs queued around it, stays in it across a retry and goes only
// with its delivery (fede2ee).
TEST_F(FederationOutgoingTest, PersistedEdusStayInTheirTransactionUntilDelivered) {
  ASSERT_TRUE(Member("@alice:localhost", alice_, "invite").ok());
  ASSERT_TRUE(RemoteMember("join").ok());
  ASSERT_TRUE(Say("before").ok());
  const std::string edu = R"({"edu_type":"m.direct_to_device","content":{}})";
  ASSERT_TRUE(pool_
                  ->Exec({"t_queue_edu", "INSERT INTO federation_outgoing (destination, room_id, "
                                         "edu) VALUES ($1, '', $2)"},
                         {kRemote, edu})
                  .ok());
  federation::PgOutgoingStore store(*pool_);
  auto first = store.Claim(kRemote, "a", absl::Seconds(60), 50);
  ASSERT_TRUE(first.ok() && *first) << first.status();
  EXPECT_EQ((*first)->pdus.size(), 1u);
  EXPECT_EQ((*first)->edus, std::vector<std::string>{edu});
  ASSERT_TRUE(store.Failed(kRemote, absl::ZeroDuration()).ok());
  auto retry = store.Claim(kRemote, "a", absl::Seconds(60), 50);
  ASSERT_TRUE(retry.ok() && *retry) << retry.status();
  EXPECT_EQ((*retry)->txn_id, (*first)->txn_id);
  EXPECT_EQ((*retry)->edus, std::vector<std::string>{edu}) << "kept for the retry";
  ASSERT_TRUE(store.Delivered(kRemote, (*retry)->txn_id).ok());
  auto after = store.Claim(kRemote, "a", absl::Seconds(60), 50);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(*after) << "delivered: nothing left";
}

TEST(SendBackoffTest, DoublesUpToTheCapWithJitter) {
  using federation::SendBackoff;
  const absl::Duration base = absl::Seconds(1), cap = absl::Seconds(60);
  EXPECT_EQ(SendBackoff(1, base, cap, 0.999999), absl::Seconds(1) * (0.5 + 0.5 * 0.999999));
  EXPECT_EQ(SendBackoff(1, base, cap, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(SendBackoff(3, base, cap, 0.0), absl::Seconds(2));
  EXPECT_EQ(SendBackoff(30, base, cap, 0.0), absl::Seconds(30));
  EXPECT_EQ(SendBackoff(1000, base, cap, 0.0), absl::Seconds(30)) << "no overflow";
}

TEST(SendBackoffTest, AFourHundredIsARefusalExceptThoseSayingLater) {
  using federation::RefusedForGood;
  for (int status : {400, 403, 404, 413}) EXPECT_TRUE(RefusedForGood(status)) << status;
  for (int status : {200, 401, 408, 429, 500, 502}) EXPECT_FALSE(RefusedForGood(status)) << status;
}

}  // namespace
}  // namespace messenger::messaging
