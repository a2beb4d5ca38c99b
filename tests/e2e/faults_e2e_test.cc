// Faults under load, in split mode with a PostgreSQL cluster and a
// nats-server of the test's own: steady sends between many pairs while
// nats-server is killed (kill -9) for 10 s, PostgreSQL restarts, and the
// messaging service and the gateway are killed and restarted. Clients retry
// with the same client_msg_id on 5xx and connection errors. Afterwards nothing
// is lost or doubled: history, JetStream and every consumer agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/bus/nats_bus.h"
#include "common/pg/pg.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

constexpr int kPairs = 20;
constexpr absl::Duration kPause = absl::Milliseconds(40);        // between a pair's sends
constexpr absl::Duration kRetryPause = absl::Milliseconds(100);  // before a retry
constexpr absl::Duration kGiveUp = absl::Seconds(60);            // per request
// Outbox rows that count as "drained" while sends go on (a few rounds' worth).
constexpr int64_t kDrainedRows = 200;
// How long after an outage its errors may still show (pools reconnecting,
// requests that started during it).
constexpr absl::Duration kGrace = absl::Seconds(5);

// What the clients saw, shared by all load threads.
class Tally {
 public:
  void Tried() { ++tried_; }
  void Retry() { ++retries_; }
  // A 503/504 or a connection error: expected while something is down.
  void Expected(const std::string& kind) {
    std::lock_guard lock(mutex_);
    ++expected_[kind];
    expected_at_.push_back({absl::Now(), kind});
  }
  // Something was down from `begin` to `end`.
  void Outage(absl::Time begin, absl::Time end) {
    std::lock_guard lock(mutex_);
    outages_.push_back({begin, end});
  }
  // Expected kinds of error seen more than `grace` after every outage ended.
  std::vector<std::string> OutsideOutages(absl::Duration grace) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [at, kind] : expected_at_) {
      const bool inside = std::any_of(outages_.begin(), outages_.end(), [&](const auto& outage) {
        return at >= outage.first && at <= outage.second + grace;
      });
      if (!inside) out.push_back(absl::StrCat(kind, " at ", absl::FormatTime(at)));
    }
    return out;
  }
  void Unexpected(const std::string& what) {
    std::lock_guard lock(mutex_);
    unexpected_.push_back(what);
  }
  int64_t tried() const { return tried_; }
  int64_t retries() const { return retries_; }
  std::map<std::string, int> expected() {
    std::lock_guard lock(mutex_);
    return expected_;
  }
  std::vector<std::string> unexpected() {
    std::lock_guard lock(mutex_);
    return unexpected_;
  }

 private:
  std::atomic<int64_t> tried_{0}, retries_{0};
  std::mutex mutex_;
  std::map<std::string, int> expected_;
  std::vector<std::pair<absl::Time, std::string>> expected_at_;
  std::vector<std::pair<absl::Time, absl::Time>> outages_;
  std::vector<std::string> unexpected_;
};

// Posts until an answer other than 503/504 or a connection error comes, with
// the same body each time (so a send keeps its client_msg_id).
std::optional<nlohmann::json> PostWithRetries(httplib::Client& client, const std::string& path,
                                              const nlohmann::json& body, const std::string& token,
                                              const std::set<int>& ok, Tally& tally) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  const std::string text = body.dump();
  const absl::Time deadline = absl::Now() + kGiveUp;
  tally.Tried();
  for (bool first = true; absl::Now() < deadline; first = false) {
    if (!first) {
      tally.Retry();
      absl::SleepFor(kRetryPause);
    }
    httplib::Result res = client.Post(path, headers, text, "application/json");
    if (!res) {
      tally.Expected("connection: " + httplib::to_string(res.error()));
      continue;
    }
    if (res->status == 503 || res->status == 504) {
      tally.Expected(absl::StrCat(res->status));
      continue;
    }
    if (ok.contains(res->status)) return nlohmann::json::parse(res->body, nullptr, false);
    tally.Unexpected(absl::StrCat("POST ", path, " -> ", res->status, " ", res->body));
    return std::nullopt;
  }
  tally.Unexpected("POST " + path + ": no answer within the retry deadline");
  return std::nullopt;
}

struct User {
  std::string id, token;
};

struct Acked {
  std::string message_id, text;
};

// One pair sending to each other in turn.
struct Pair {
  User a, b;
  std::string conversation_id;
  std::vector<Acked> acked;
};

std::unique_ptr<httplib::Client> NewClient(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(2, 0);
  client->set_read_timeout(15, 0);
  client->set_keep_alive(true);
  return client;
}

User Register(httplib::Client& client, const std::string& name, Tally& tally) {
  const auto reg = PostWithRetries(
      client, "/v1/auth/register",
      {{"username", name}, {"email", name + "@example.com"}, {"password", "password-" + name}}, "",
      {201}, tally);
  const auto login =
      PostWithRetries(client, "/v1/auth/login", {{"login", name}, {"password", "password-" + name}},
                      "", {200}, tally);
  if (!reg || !login) return {};
  return {reg->value("user_id", ""), login->value("access_token", "")};
}

// Every message of a conversation, oldest first.
std::vector<nlohmann::json> History(httplib::Client& client, const Pair& pair) {
  std::vector<nlohmann::json> out;
  std::string before;
  while (true) {
    Reply page = Send(client, "GET",
                      "/v1/conversations/" + pair.conversation_id + "/messages?limit=100" + before,
                      std::nullopt, pair.a.token);
    if (page.status != 200) {
      ADD_FAILURE() << "history: " << page.status << " " << page.raw;
      break;
    }
    for (const auto& m : page.body["messages"]) out.push_back(m);
    if (!page.body.contains("next_before_seq") || page.body["next_before_seq"].is_null()) break;
    before = absl::StrCat("&before_seq", "=", page.body["next_before_seq"].get<int64_t>());
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Event ids a service's consumer recorded as applied.
std::set<std::string> Processed(const std::string& dsn, const std::string& schema,
                                const std::string& consumer) {
  static constexpr pg::Query kProcessed{
      "t_faults_processed", "SELECT event_id::text FROM processed_events WHERE consumer = $1"};
  std::set<std::string> ids;
  auto pool = pg::Pool::Create({.dsn = dsn, .size = 1, .schema = schema});
  if (!pool.ok()) return ids;
  auto rows = (*pool)->Exec(kProcessed, {consumer});
  if (!rows.ok()) return ids;
  for (int i = 0; i < rows->rows(); ++i) ids.insert(rows->GetString(i, 0));
  return ids;
}

int64_t OutboxRows(const std::string& dsn, const std::string& schema) {
  static constexpr pg::Query kRows{"t_faults_outbox_rows", "SELECT count(*) FROM outbox"};
  auto pool = pg::Pool::Create({.dsn = dsn, .size = 1, .schema = schema});
  if (!pool.ok()) return -1;
  auto rows = (*pool)->Exec(kRows);
  return rows.ok() ? rows->GetInt64(0, 0) : -1;
}

TEST(FaultsE2eTest, NothingLostOrDoubledWhileNatsPostgresAndProcessesDie) {
  auto pg = PrivatePostgres::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  testing::TempDir dir("messenger-faults");
  SplitSystem split;
  auto env = split.Env((*pg)->dsn(), (*nats)->url(), dir.path());
  env["MESSENGER_PG_POOL_SIZE"] = "4";
  env["MESSENGER_SEND_RATE_PER_S"] = "1000";
  env["MESSENGER_ARGON2_OPSLIMIT"] = "1";
  env["MESSENGER_ARGON2_MEMLIMIT_KIB"] = "1024";
  ASSERT_TRUE(split.StartAll(env, dir.path()).ok());
  const std::string dsn = (*pg)->dsn();

  // Setup: pairs of friends, each with its direct conversation.
  Tally setup;
  auto client = NewClient(split.http_port);
  std::vector<Pair> pairs(kPairs);
  for (int i = 0; i < kPairs; ++i) {
    pairs[i].a = Register(*client, absl::StrCat("fa", i), setup);
    pairs[i].b = Register(*client, absl::StrCat("fb", i), setup);
  }
  for (Pair& pair : pairs) {
    // 404 until contact-service consumed user.created.
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          return Send(*client, "POST", "/v1/contacts/requests",
                      nlohmann::json{{"user_id", pair.b.id}}, pair.a.token)
                     .status == 201;
        },
        absl::Seconds(20), absl::Milliseconds(50)));
    Reply accepted = Send(*client, "POST", "/v1/contacts/requests/" + pair.a.id + "/accept",
                          std::nullopt, pair.b.token);
    ASSERT_EQ(accepted.status, 200) << accepted.raw;
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    // 403 until messaging consumed friendship.accepted.
    Pair& pair = pairs[i];
    const std::string text = absl::StrCat("hello", i);
    Reply first;
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          first = Send(*client, "POST", "/v1/messages",
                       nlohmann::json{{"to", pair.b.id}, {"text", text}, {"client_msg_id", text}},
                       pair.a.token);
          return first.status == 201;
        },
        absl::Seconds(20), absl::Milliseconds(50)))
        << first.raw;
    pair.conversation_id = first.body.value("conversation_id", "");
    pair.acked.push_back({first.body.value("message_id", ""), text});
  }
  ASSERT_TRUE(setup.unexpected().empty()) << setup.unexpected().front();

  // Load: one thread per pair, plus a trickle of registrations (user.created
  // through every outage).
  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPairs; ++i) {
    threads.emplace_back([&, i] {
      Pair& pair = pairs[i];
      auto c = NewClient(split.http_port);
      for (int n = 0; !stop; ++n) {
        const User& from = n % 2 == 0 ? pair.a : pair.b;
        const User& to = n % 2 == 0 ? pair.b : pair.a;
        const std::string text = absl::StrCat("m", i, "-", n);
        auto sent = PostWithRetries(*c, "/v1/messages",
                                    {{"to", to.id}, {"text", text}, {"client_msg_id", text}},
                                    from.token, {200, 201}, tally);
        if (sent) pair.acked.push_back({sent->value("message_id", ""), text});
        absl::SleepFor(kPause);
      }
    });
  }
  std::atomic<int> registered{0};
  threads.emplace_back([&] {
    auto c = NewClient(split.http_port);
    for (int n = 0; !stop; ++n) {
      if (!Register(*c, absl::StrCat("late", n), tally).id.empty()) ++registered;
      absl::SleepFor(absl::Milliseconds(300));
    }
  });

  // Also when a step below fails: joinable threads would abort the binary.
  absl::Cleanup stop_load = [&] {
    stop = true;
    for (auto& t : threads) t.join();
  };
  auto phase = [start = absl::Now()](const std::string& what) {
    std::cout << "[" << absl::ToInt64Milliseconds(absl::Now() - start) << " ms] " << what
              << std::endl;
  };
  absl::SleepFor(absl::Seconds(3));
  phase("kill -9 nats-server for 10 s");
  absl::Time down = absl::Now();
  (*nats)->Kill();
  absl::SleepFor(absl::Seconds(10));
  ASSERT_TRUE((*nats)->Restart().ok());
  const absl::Time nats_back = absl::Now();
  tally.Outage(down, nats_back);
  // The sends committed during the outage wait in messaging's outbox; they
  // must leave at full speed now, not at a trickle (defect 12).
  phase(absl::StrCat("nats-server back; messaging outbox holds ", OutboxRows(dsn, "messaging"),
                     " rows"));
  const bool drained = testing::WaitUntil(
      [&] {
        const int64_t rows = OutboxRows(dsn, "messaging");
        return rows >= 0 && rows < kDrainedRows;
      },
      absl::Seconds(5), absl::Milliseconds(50));
  phase(absl::StrCat("messaging outbox ", drained ? "drained" : "NOT drained", "; ",
                     OutboxRows(dsn, "messaging"), " rows"));
  EXPECT_TRUE(drained) << "the backlog did not leave within 5 s of nats-server's return";
  absl::SleepFor(nats_back + absl::Seconds(5) - absl::Now());
  phase("PostgreSQL fast shutdown and start");
  down = absl::Now();
  ASSERT_TRUE((*pg)->Restart().ok());
  tally.Outage(down, absl::Now());
  phase("PostgreSQL back");
  absl::SleepFor(absl::Seconds(5));
  phase("kill -9 messaging-service and start it");
  down = absl::Now();
  split.messaging.Kill();
  ASSERT_TRUE(split.messaging.Start(env, dir.path()).ok());
  tally.Outage(down, absl::Now());
  phase("messaging-service back");
  absl::SleepFor(absl::Seconds(5));
  phase("kill -9 gateway and start it");
  down = absl::Now();
  split.gateway.Kill();
  ASSERT_TRUE(split.gateway.Start(env, dir.path(), "/healthz").ok());
  tally.Outage(down, absl::Now());
  phase("gateway back");
  absl::SleepFor(absl::Seconds(5));
  std::move(stop_load).Invoke();
  phase("load stopped");

  // Every outbox drained.
  for (const char* schema : {"auth", "session", "profile", "contact", "messaging"}) {
    EXPECT_TRUE(testing::WaitUntil([&] { return OutboxRows(dsn, schema) == 0; }, absl::Seconds(30),
                                   absl::Milliseconds(100)))
        << schema << ": " << OutboxRows(dsn, schema) << " rows left in its outbox";
  }

  // History: every acknowledged send exactly once, message seqs consecutive
  // per conversation (the room's own events come first).
  int64_t acked_total = 0;
  std::set<std::string> history_ids;
  for (const Pair& pair : pairs) {
    acked_total += static_cast<int64_t>(pair.acked.size());
    ASSERT_FALSE(pair.conversation_id.empty());
    const std::vector<nlohmann::json> history = History(*client, pair);
    ASSERT_FALSE(history.empty()) << pair.conversation_id;
    const int64_t first_seq = history[0]["seq"].get<int64_t>();
    std::map<std::string, int> by_text;
    for (size_t i = 0; i < history.size(); ++i) {
      EXPECT_EQ(history[i]["seq"].get<int64_t>(), first_seq + static_cast<int64_t>(i))
          << pair.conversation_id << ": seq gap or repeat at position " << i;
      ++by_text[history[i]["text"].get<std::string>()];
      history_ids.insert(history[i]["message_id"].get<std::string>());
    }
    std::set<std::string> acked_texts;
    for (const Acked& acked : pair.acked) {
      acked_texts.insert(acked.text);
      EXPECT_EQ(by_text[acked.text], 1)
          << acked.text << " in history " << by_text[acked.text] << " times";
      EXPECT_TRUE(history_ids.contains(acked.message_id)) << acked.text;
    }
    for (const auto& [text, count] : by_text) {
      EXPECT_TRUE(acked_texts.contains(text)) << text << " in history but never acknowledged";
    }
  }

  // JetStream: one message.sent per message, no event twice.
  auto bus = bus::NatsBus::Connect({.url = (*nats)->url(), .name = "faults-test"});
  ASSERT_TRUE(bus.ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return (*bus)->connected(); }, absl::Seconds(5)));
  std::vector<bus::Event> events = testing::ReadStream(**bus);
  std::map<std::string, int> event_copies, sent_per_message;
  for (const bus::Event& event : events) {
    ++event_copies[event.id];
    if (event.type == "message.sent") ++sent_per_message[event.Data().value("message_id", "")];
  }
  for (const auto& [id, copies] : event_copies) EXPECT_EQ(copies, 1) << "event " << id;
  for (const std::string& id : history_ids) {
    EXPECT_EQ(sent_per_message[id], 1) << "message.sent of " << id;
  }
  EXPECT_EQ(sent_per_message.size(), history_ids.size());

  // Every consumer applied each of its events once (processed_events has one
  // row per event id and consumer) and none was skipped.
  struct Consumer {
    const char* schema;
    const char* name;
    std::string subject;  // as subscribed: "user.>" or one type
  };
  const std::vector<Consumer> consumers = {
      {"profile", "profile_users", "user.>"},
      {"contact", "contact_user_created", "user.created"},
      {"messaging", "messaging_users", "user.>"},
      {"messaging", "messaging_friendships", "friendship.>"},
  };
  for (const Consumer& consumer : consumers) {
    std::set<std::string> expected;
    for (const bus::Event& event : events) {
      const bool wildcard = consumer.subject.ends_with(".>");
      if (wildcard ? event.type.starts_with(consumer.subject.substr(0, consumer.subject.size() - 1))
                   : event.type == consumer.subject) {
        expected.insert(event.id);
      }
    }
    std::set<std::string> applied;
    testing::WaitUntil(
        [&] {
          applied = Processed(dsn, consumer.schema, consumer.name);
          return applied == expected;
        },
        absl::Seconds(30), absl::Milliseconds(200));
    EXPECT_EQ(applied, expected) << consumer.name << ": applied " << applied.size() << " of "
                                 << expected.size();
  }

  // Only 503/504 and connection errors, and only during the outages.
  const auto unexpected = tally.unexpected();
  for (const auto& what : unexpected) ADD_FAILURE() << what;
  for (const auto& what : tally.OutsideOutages(kGrace)) {
    ADD_FAILURE() << "error while nothing was down: " << what;
  }
  std::cout << "requests tried " << tally.tried() << ", sends acknowledged " << acked_total
            << ", retries " << tally.retries() << ", late registrations " << registered
            << ", unexpected answers " << unexpected.size() << "\n";
  for (const auto& [kind, n] : tally.expected()) std::cout << "  " << kind << ": " << n << "\n";
  std::cout << "stream events " << events.size() << ", message.sent " << sent_per_message.size()
            << ", messages in history " << history_ids.size() << std::endl;

  for (ServiceProcess* s : split.Services()) s->Stop();
  split.gateway.Stop();
}

}  // namespace
}  // namespace messenger::e2e
