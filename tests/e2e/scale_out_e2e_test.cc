// Messaging as three replicas behind one gateway (split mode). Rooms spread
// over the replicas' shards and writes go to the shard's owner; one replica
// is kill -9'ed and restarted in the middle of the sends, whose clients retry
// with the same client_msg_id (480 sends into 60 rooms from 20 users).
// Afterwards every acknowledged message is in history exactly once with
// gap-free room seqs, each user's sync from the start shows each of their
// messages once and in order, and JetStream holds one message.sent each. A second test unfriends with NATS stopped
// (no contact event can reach any replica) and sends through every replica.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc/grpc_util.h"
#include "common/pg/pg.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/metrics_scrape.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

constexpr int kReplicas = 3;
std::string Addr(int port) { return absl::StrCat("127.0.0.1:", port); }

struct User {
  std::string id, token;
};

class ScaleOutE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    replicas_.push_back(&split_.messaging);
    for (int i = 1; i < kReplicas; ++i) {
      extra_.push_back(std::make_unique<ServiceProcess>(
          absl::StrCat("messaging-", i + 1), MESSENGER_MESSAGING_BINARY, testing::FreePort(),
          testing::FreePort()));
      replicas_.push_back(extra_.back().get());
    }
    env_ = split_.Env(db_->dsn(), nats_->url(), dir_.path());
    std::string all;
    for (ServiceProcess* r : replicas_) {
      absl::StrAppend(&all, all.empty() ? "" : ",", Addr(r->grpc_port()));
    }
    env_["MESSENGER_MESSAGING_ADDR"] = all;  // the gateway goes round them
    env_["MESSENGER_SEND_RATE_PER_S"] = "100000";
    env_["MESSENGER_SEND_BURST"] = "100000";
    for (ServiceProcess* s : {&split_.session, &split_.auth, &split_.profile, &split_.contact}) {
      ASSERT_TRUE(s->Start(env_, dir_.path()).ok());
    }
    for (int i = 0; i < kReplicas; ++i) ASSERT_TRUE(StartReplica(i).ok());
    ASSERT_TRUE(split_.gateway.Start(env_, dir_.path(), "/healthz").ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", split_.http_port);
    client_->set_read_timeout(20, 0);
  }

  void TearDown() override {
    for (ServiceProcess* s : {&split_.gateway}) s->Stop();
    for (ServiceProcess* r : replicas_) r->Stop();
    for (ServiceProcess* s : {&split_.contact, &split_.profile, &split_.auth, &split_.session}) {
      s->Stop();
    }
  }

  absl::Status StartReplica(int i) {
    std::map<std::string, std::string> env = env_;
    ServiceProcess& r = *replicas_[i];
    env["MESSENGER_MESSAGING_ADDR"] = Addr(r.grpc_port());
    env["MESSENGER_MESSAGING_ADMIN_ADDR"] = Addr(r.admin_port());
    env["MESSENGER_MESSAGING_ADVERTISE_ADDRESS"] = Addr(r.grpc_port());
    return r.Start(env, dir_.path());
  }

  std::string Logs() {
    std::string out = Dump(split_.gateway.log_path());
    for (ServiceProcess* r : replicas_) out += Dump(r->log_path());
    return out;
  }

  User Register(const std::string& name) {
    Reply r = Send(*client_, "POST", "/v1/auth/register",
                   nlohmann::json{{"username", name},
                                  {"email", name + "@example.com"},
                                  {"password", "password-" + name}});
    EXPECT_EQ(r.status, 201) << r.raw;
    Reply login = Send(*client_, "POST", "/v1/auth/login",
                       nlohmann::json{{"login", name}, {"password", "password-" + name}});
    EXPECT_EQ(login.status, 200) << login.raw;
    return {r.body.value("user_id", ""), login.body.value("access_token", "")};
  }

  // Contact-service learns of users from user.created: retried until it has.
  void Befriend(const User& a, const User& b) {
    Reply asked;
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          asked = Send(*client_, "POST", "/v1/contacts/requests",
                       nlohmann::json{{"user_id", b.id}}, a.token);
          return asked.status == 201;
        },
        absl::Seconds(20)))
        << asked.raw;
    Reply accepted = Send(*client_, "POST", "/v1/contacts/requests/" + a.id + "/accept",
                          std::nullopt, b.token);
    ASSERT_EQ(accepted.status, 200) << accepted.raw;
  }

  testing::TempDir dir_{"messenger-scale-out"};
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::NatsServer> nats_;
  SplitSystem split_;
  std::vector<std::unique_ptr<ServiceProcess>> extra_;
  std::vector<ServiceProcess*> replicas_;  // split_.messaging first
  std::map<std::string, std::string> env_;
  std::unique_ptr<httplib::Client> client_;
};

struct Acked {
  std::string message_id, room_id, client_msg_id;
  int64_t seq = 0;
  int sender = 0, peer = 0;
};

constexpr pg::Query kRoomSeqs{
    "t_room_seqs",
    "SELECT room_id, count(*), min(seq), max(seq) FROM messaging.events GROUP BY room_id"};
constexpr pg::Query kOwners{"t_owners",
                            "SELECT count(DISTINCT replica_id) FROM messaging.shard_owners"};
constexpr pg::Query kOwnedShards{"t_owned_shards", "SELECT count(*) FROM messaging.shard_owners"};

TEST_F(ScaleOutE2eTest, AReplicaKilledMidRunLosesAndRepeatsNothing) {
  // 20 users, each a friend of the next three: 60 direct rooms.
  constexpr int kUsers = 20, kOffsets = 3, kPerRoom = 8, kThreads = 6;
  std::vector<User> users;
  for (int i = 0; i < kUsers; ++i) users.push_back(Register(absl::StrCat("scale", i)));
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < kUsers; ++i) {
    for (int d = 1; d <= kOffsets; ++d) pairs.emplace_back(i, (i + d) % kUsers);
  }
  for (const auto& [a, b] : pairs) Befriend(users[a], users[b]);
  ASSERT_FALSE(HasFatalFailure());
  const size_t total = pairs.size() * kPerRoom;

  std::mutex mutex;
  std::vector<Acked> acked;
  std::vector<std::string> failures;
  std::map<int, int> retried;  // status -> count (0: no answer)
  std::atomic<size_t> done{0};
  // Past three fifths the senders wait for the restart, so that on an idle
  // machine too the restarted replica takes writes before the run ends.
  std::atomic<bool> restarted{false};
  const size_t hold_at = total * 3 / 5;
  auto sender = [&](int t) {
    httplib::Client c("127.0.0.1", split_.http_port);
    c.set_read_timeout(20, 0);
    for (int m = 0; m < kPerRoom; ++m) {
      for (size_t p = t; p < pairs.size(); p += kThreads) {
        // Alternating sides of the pair; the first message creates the room.
        const int from = m % 2 == 0 ? pairs[p].first : pairs[p].second;
        const int to = m % 2 == 0 ? pairs[p].second : pairs[p].first;
        const std::string id = absl::StrCat("scale-", p, "-", m);
        const nlohmann::json body = {
            {"to", users[to].id}, {"text", "hello " + id}, {"client_msg_id", id}};
        if (done >= hold_at) testing::WaitUntil([&] { return restarted.load(); }, absl::Seconds(60));
        const absl::Time deadline = absl::Now() + absl::Seconds(40);
        Reply r;
        while (true) {
          r = Send(c, "POST", "/v1/messages", body, users[from].token);
          if (r.status == 200 || r.status == 201) break;
          const bool retryable = r.status == 0 || r.status == 429 || r.status == 503 ||
                                 r.status == 502 || r.status == 504;
          {
            std::lock_guard lock(mutex);
            ++retried[r.status];
          }
          if (!retryable || absl::Now() > deadline) break;
          absl::SleepFor(absl::Milliseconds(50));  // a client's back-off, then the same id
        }
        std::lock_guard lock(mutex);
        if (r.status == 200 || r.status == 201) {
          acked.push_back({r.body["message_id"], r.body["conversation_id"], id,
                           r.body["seq"].get<int64_t>(), from, to});
        } else {
          failures.push_back(absl::StrCat(id, ": ", r.status, " ", r.raw));
        }
        ++done;
      }
    }
  };
  const absl::Time started = absl::Now();
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(sender, t);
  // A fifth of the way in, the second replica dies without a word and comes back.
  ASSERT_TRUE(testing::WaitUntil([&] { return done >= total / 5; }, absl::Seconds(60)));
  replicas_[1]->Kill();
  const absl::Time killed = absl::Now();
  const size_t done_at_kill = done;
  const absl::Status restart = StartReplica(1);
  restarted = true;
  ASSERT_TRUE(restart.ok()) << restart;
  std::cout << "replica 2 killed at " << done_at_kill << "/" << total << ", back at " << done
            << " after " << absl::Now() - killed << "\n";
  EXPECT_LT(done, total) << "the restart came after the last send";
  for (auto& t : threads) t.join();
  std::cout << "sent " << total << " in " << absl::Now() - started << "; retried:";
  for (const auto& [status, n] : retried) std::cout << " " << status << "x" << n;
  std::cout << "\n";
  ASSERT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front()
                                << Logs();
  ASSERT_EQ(acked.size(), total);

  // One message per client_msg_id; rooms as many as pairs.
  std::map<std::string, std::vector<const Acked*>> by_room;
  std::set<std::string> ids;
  for (const Acked& a : acked) {
    EXPECT_TRUE(ids.insert(a.message_id).second) << "one id acknowledged twice: " << a.message_id;
    by_room[a.room_id].push_back(&a);
  }
  ASSERT_EQ(by_room.size(), pairs.size());

  // History: every acknowledged message exactly once, nothing else.
  for (const auto& [room, messages] : by_room) {
    const User& member = users[messages.front()->sender];
    Reply h = Send(*client_, "GET", "/v1/conversations/" + room + "/messages?limit=100",
                   std::nullopt, member.token);
    ASSERT_EQ(h.status, 200) << h.raw;
    std::multiset<std::string> seen;
    for (const auto& m : h.body["messages"]) seen.insert(m["message_id"].get<std::string>());
    EXPECT_EQ(seen.size(), messages.size()) << room;
    for (const Acked* a : messages) EXPECT_EQ(seen.count(a->message_id), 1u) << a->client_msg_id;
  }

  // Room seqs gap-free (state events included): 1..n.
  auto pool = pg::Pool::Create({.dsn = db_->dsn(), .size = 1});
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto seqs = (*pool)->Exec(kRoomSeqs);
  ASSERT_TRUE(seqs.ok()) << seqs.status();
  EXPECT_EQ(seqs->rows(), static_cast<int>(pairs.size()));
  for (int i = 0; i < seqs->rows(); ++i) {
    EXPECT_EQ(seqs->GetInt64(i, 2), 1) << seqs->GetString(i, 0);
    EXPECT_EQ(seqs->GetInt64(i, 3), seqs->GetInt64(i, 1)) << "a gap in " << seqs->GetString(i, 0);
  }

  // Writes were forwarded to owners; the restarted replica owns shards again.
  double forwarded = 0;
  for (ServiceProcess* r : replicas_) {
    httplib::Client admin("127.0.0.1", r->admin_port());
    forwarded += ScrapeMetric(admin, "messaging_forwarded_total").value_or(0);
  }
  std::cout << "forwarded after the restart: " << forwarded << "\n";
  EXPECT_GT(forwarded, 0) << "no write went to another replica's room";
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        auto owners = (*pool)->Exec(kOwners);
        return owners.ok() && owners->GetInt64(0, 0) == kReplicas;
      },
      absl::Seconds(20)));

  // Sync from the start: each user's messages once each, in room order.
  for (int u = 0; u < kUsers; ++u) {
    std::string since = "s0";
    std::map<std::string, int> count;
    std::map<std::string, int64_t> last_seq;  // room -> seq of the last message seen
    for (int page = 0; page < 100; ++page) {
      Reply s = Send(*client_, "GET", "/v1/sync?timeout_ms=0&since=" + since, std::nullopt,
                     users[u].token);
      ASSERT_EQ(s.status, 200) << s.raw;
      since = s.body["next"];
      if (s.body["events"].empty()) break;
      for (const auto& e : s.body["events"]) {
        if (e["type"] != "message") continue;
        const std::string room = e["conversation_id"];
        const int64_t seq = e["message"]["seq"];
        EXPECT_GT(seq, last_seq[room]) << "out of order in " << room << " for user " << u;
        last_seq[room] = seq;
        ++count[e["message"]["message_id"].get<std::string>()];
      }
    }
    size_t mine = 0;
    for (const Acked& a : acked) {
      if (a.sender != u && a.peer != u) continue;
      ++mine;
      EXPECT_EQ(count[a.message_id], 1) << a.client_msg_id << " in user " << u << "'s sync";
    }
    EXPECT_EQ(count.size(), mine) << "user " << u;
  }

  // JetStream: one message.sent per acknowledged message.
  auto bus = bus::NatsBus::Connect({.url = nats_->url(), .name = "scale-out-test"});
  ASSERT_TRUE(bus.ok()) << bus.status();
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto pending = PendingOutboxRows(db_->dsn());
        return pending.ok() && *pending == 0;
      },
      absl::Seconds(30)));
  auto stored = ReadStoredEvents(**bus);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::map<std::string, int> sent_events;
  for (const StoredEvent& e : *stored) {
    if (e.subject == "message.sent") ++sent_events[e.envelope["data"]["message_id"]];
  }
  EXPECT_EQ(sent_events.size(), acked.size());
  for (const Acked& a : acked) EXPECT_EQ(sent_events[a.message_id], 1) << a.client_msg_id;

  // Drain: a replica stopped with SIGTERM gives its shards back; the other
  // two hold all 64 within a few of their one-second rounds.
  EXPECT_EQ(replicas_[2]->Stop(), 0) << Logs();
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        auto owners = (*pool)->Exec(kOwners);
        auto taken = (*pool)->Exec(kOwnedShards);
        return owners.ok() && taken.ok() && owners->GetInt64(0, 0) == kReplicas - 1 &&
               taken->GetInt64(0, 0) == 64;
      },
      absl::Seconds(10)))
      << Logs();
}

TEST_F(ScaleOutE2eTest, ADirectSendAfterUnfriendingIsRefusedOnEveryReplica) {
  const User x = Register("xavier"), y = Register("yvonne");
  Befriend(x, y);
  ASSERT_FALSE(HasFatalFailure());
  std::vector<std::unique_ptr<messaging::v1::MessagingService::Stub>> stubs;
  for (ServiceProcess* r : replicas_) {
    stubs.push_back(messaging::v1::MessagingService::NewStub(
        grpcx::CreateChannel(Addr(r->grpc_port()), "messaging")));
  }
  auto send = [&](int replica, const std::string& client_msg_id, const std::string& room) {
    messaging::v1::SendMessageRequest request;
    request.set_sender_id(x.id);
    request.set_device_id("device");
    if (room.empty()) {
      request.set_to_user_id(y.id);
    } else {
      request.set_conversation_id(room);
    }
    request.set_text("after " + client_msg_id);
    request.set_client_msg_id(client_msg_id);
    messaging::v1::SendMessageResponse response;
    auto context = grpcx::NewClientContext(absl::Seconds(10));
    grpc::Status status = stubs[replica]->SendMessage(context.get(), request, &response);
    return std::make_pair(status, response);
  };
  // Every replica sends while they are friends: each remembers the "yes".
  std::string room;
  for (int i = 0; i < kReplicas; ++i) {
    grpc::Status status;
    ASSERT_TRUE(testing::WaitUntil(
        [&] {  // messaging learns of the users from user.created
          auto [s, response] = send(i, absl::StrCat("before-", i), "");
          status = s;
          room = response.conversation_id();
          return s.ok();
        },
        absl::Seconds(20)))
        << status.error_message() << Logs();
  }

  // No contact event can reach any replica now.
  nats_->Stop();
  Reply removed = Send(*client_, "DELETE", "/v1/contacts/" + y.id, std::nullopt, x.token);
  ASSERT_EQ(removed.status, 204) << removed.raw;
  for (int i = 0; i < kReplicas; ++i) {
    for (const std::string& target : {std::string(), room}) {
      auto [status, response] = send(i, absl::StrCat("after-", i, target.empty() ? "-to" : "-in"),
                                     target);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << "replica " << i << (target.empty() ? " by user" : " by room") << ": "
          << status.error_message() << " " << response.message_id();
    }
  }
  ASSERT_TRUE(nats_->Restart().ok());
}

// Typing is kept in memory by each replica and shared through NATS: set on
// one replica, it is in the sync of every replica and wakes the member's
// long poll at the gateway; stopped on another, every replica shows the stop.
TEST_F(ScaleOutE2eTest, TypingSetOnOneReplicaIsSeenThroughEveryReplica) {
  const User x = Register("xena"), y = Register("yann");
  Befriend(x, y);
  ASSERT_FALSE(HasFatalFailure());
  Reply sent;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {  // messaging learns of the users from user.created
        sent = Send(*client_, "POST", "/v1/messages",
                    nlohmann::json{{"to", y.id}, {"text", "hi"}, {"client_msg_id", "t1"}},
                    x.token);
        return sent.status == 201 || sent.status == 200;
      },
      absl::Seconds(20)))
      << sent.raw;
  const std::string room = sent.body["conversation_id"];
  std::vector<std::unique_ptr<messaging::v1::MessagingService::Stub>> stubs;
  for (ServiceProcess* r : replicas_) {
    stubs.push_back(
        messaging::v1::MessagingService::NewStub(grpcx::CreateChannel(Addr(r->grpc_port()), "messaging")));
  }
  auto set_typing = [&](int replica, bool typing) {
    messaging::v1::SetTypingRequest request;
    request.set_user_id(x.id);
    request.set_conversation_id(room);
    request.set_typing(typing);
    request.set_timeout_ms(30'000);
    messaging::v1::SetTypingResponse response;
    auto context = grpcx::NewClientContext(absl::Seconds(10));
    return stubs[replica]->SetTyping(context.get(), request, &response);
  };
  // The typers of the room in a replica's answer to y's sync from `since`
  // ("none" without a typing event).
  auto typing_on = [&](int replica, const std::string& since) -> std::string {
    messaging::v1::SyncRequest request;
    request.set_user_id(y.id);
    request.set_since(since);
    messaging::v1::SyncResponse response;
    auto context = grpcx::NewClientContext(absl::Seconds(10));
    grpc::Status status = stubs[replica]->Sync(context.get(), request, &response);
    if (!status.ok()) return "error: " + status.error_message();
    for (const auto& e : response.events()) {
      if (e.type() == "typing" && e.conversation_id() == room) {
        return absl::StrJoin(e.typing_user_ids(), ",");
      }
    }
    return "none";
  };
  // The setup's own rows land a little later; once they have, a fresh token
  // is past them (a poll that got them would not show the typing).
  SyncTokenAfter(*client_, y.token, {"contact_accepted", "message"});
  for (int from = 0; from < kReplicas; ++from) {
    Reply first = Send(*client_, "GET", "/v1/sync", std::nullopt, y.token);
    ASSERT_EQ(first.status, 200) << first.raw;
    const std::string since = first.body["next"];
    // y's long poll parks at the gateway before the typing starts.
    std::thread set_later([&] {
      absl::SleepFor(absl::Milliseconds(300));
      grpc::Status status = set_typing(from, true);
      EXPECT_TRUE(status.ok()) << status.error_message();
    });
    Reply polled = Send(*client_, "GET", "/v1/sync?since=" + since + "&timeout_ms=15000",
                        std::nullopt, y.token);
    set_later.join();
    ASSERT_EQ(polled.status, 200) << polled.raw;
    bool seen = false;
    for (const auto& e : polled.body["events"]) {
      seen = seen || (e["type"] == "typing" && e["user_ids"] == nlohmann::json::array({x.id}));
    }
    EXPECT_TRUE(seen) << "set on replica " << from << ": " << polled.raw << Logs();
    for (int on = 0; on < kReplicas; ++on) {
      EXPECT_TRUE(testing::WaitUntil([&] { return typing_on(on, since) == x.id; },
                                     absl::Seconds(10)))
          << "set on replica " << from << ", read on " << on << ": " << typing_on(on, since);
    }
    const std::string after_start = polled.body["next"];
    const int stop_on = (from + 1) % kReplicas;
    ASSERT_TRUE(set_typing(stop_on, false).ok());
    for (int on = 0; on < kReplicas; ++on) {
      EXPECT_TRUE(testing::WaitUntil([&] { return typing_on(on, after_start).empty(); },
                                     absl::Seconds(10)))
          << "stopped on replica " << stop_on << ", read on " << on << ": "
          << typing_on(on, after_start);
    }
  }
}

}  // namespace
}  // namespace messenger::e2e
