// Issue 15's large groups: one group of `members`, every member long-polling
// /v1/sync. Measures the fan-out (send -> the last member's poll returns it),
// server CPU per delivered copy, the rows one send writes, one member's sync
// read against a small group's, one member's first look at the room, and
// writing one more member into it.
//
// Setup (fastest honest way while POST /v1/conversations caps a group at 256
// members): the users register and log in through the public API; the
// owner befriends the first 255 and creates the group through the API; the
// other members are added by bulk SQL (kSeedMembers: one `memberships` row
// each, as a join writes it, without its m.room.member event), and the room's
// depth is bumped so that the writer reloads the joined members before the
// next send (RoomWriter::Refresh). Sync and wake-ups read exactly those rows.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/scenarios.h"
#include "common/pg/pg.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"

namespace messenger::bench {
namespace {

constexpr int kApiGroupMax = 255;  // members besides the owner POST /v1/conversations takes
constexpr int kSetupThreads = 16;
constexpr int kSampledSyncs = 50;

constexpr pg::Query kSeedMembers{
    "bench_seed_members",
    "INSERT INTO messaging.memberships (room_id, user_id, membership, event_id) "
    "SELECT $1, u::uuid, 'join', 'bench-seeded' FROM unnest(string_to_array($2, ',')) u "
    "ON CONFLICT DO NOTHING"};
constexpr pg::Query kBumpDepth{"bench_bump_depth",
                               "UPDATE messaging.rooms SET depth = depth + 1 WHERE room_id = $1"};
constexpr pg::Query kRowCounts{
    "bench_row_counts",
    "SELECT (SELECT count(*) FROM messaging.events), (SELECT count(*) FROM messaging.notices), "
    "(SELECT count(*) FROM messaging.receipts), (SELECT count(*) FROM messaging.memberships)"};

// Registers and logs in `count` users from kSetupThreads threads.
std::vector<BenchUser> CreateUsersInParallel(const Context& c, const std::string& prefix,
                                             int count) {
  std::vector<std::vector<BenchUser>> parts(kSetupThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kSetupThreads; ++t) {
    threads.emplace_back([&, t] {
      Api api(c.http);
      const int from = count * t / kSetupThreads, to = count * (t + 1) / kSetupThreads;
      parts[t] = api.CreateUsers(absl::StrCat(prefix, t, "x"), to - from);
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<BenchUser> users;
  for (auto& part : parts) users.insert(users.end(), part.begin(), part.end());
  return users;
}

// The owner befriends `friends` from kSetupThreads threads; false on a failure.
bool BefriendInParallel(const Context& c, const BenchUser& owner,
                        const std::vector<BenchUser>& friends) {
  std::atomic<bool> ok{true};
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSetupThreads; ++t) {
    threads.emplace_back([&] {
      Api api(c.http);
      for (size_t i = next++; i < friends.size(); i = next++) {
        if (!api.Befriend(owner, friends[i])) ok = false;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return ok;
}

// A group of the owner and `members` (at most kApiGroupMax) through the API.
std::string CreateGroup(Context& c, const std::string& scenario, const BenchUser& owner,
                        const std::vector<BenchUser>& members) {
  std::vector<std::string> ids;
  for (const BenchUser& u : members) ids.push_back(u.user_id);
  if (!BefriendInParallel(c, owner, members)) c.report.Fail(scenario, "befriending failed");
  Api api(c.http);
  auto [status, created] =
      api.Call("POST", "/v1/conversations", nlohmann::json{{"name", scenario}, {"member_ids", ids}},
               owner.access_token);
  if (status != 201) {
    c.report.Fail(scenario, "group creation: status " + std::to_string(status));
    return "";
  }
  return created["conversation_id"];
}

// Milliseconds of one call.
double TimedMs(const std::function<void()>& call) {
  const absl::Time start = absl::Now();
  call();
  return absl::ToDoubleMilliseconds(absl::Now() - start);
}

// Median milliseconds of a sync that returns one new message (timeout 0),
// over `sample` members of `room`, each from a token taken before the send.
double SyncReadMs(Context& c, const std::string& scenario, const std::vector<BenchUser>& sample,
                  const BenchUser& sender, const std::string& room) {
  Api api(c.http);
  std::vector<std::string> tokens;
  for (const BenchUser& u : sample) {
    tokens.push_back(
        api.Call("GET", "/v1/sync", std::nullopt, u.access_token).second.value("next", ""));
  }
  const std::string text = c.ClientId(scenario + "-read", 0);
  api.Call("POST", "/v1/messages",
           nlohmann::json{{"conversation_id", room}, {"text", text}, {"client_msg_id", text}},
           sender.access_token);
  std::vector<double> ms;
  for (size_t i = 0; i < sample.size(); ++i) {
    int events = 0;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (events == 0 && absl::Now() < deadline) {  // until its commit is readable
      ms.push_back(TimedMs([&] {
        auto [status, body] =
            api.Call("GET", "/v1/sync?since=" + tokens[i], std::nullopt, sample[i].access_token);
        events = status == 200 ? static_cast<int>(body["events"].size()) : 0;
      }));
      if (events == 0) ms.pop_back();
    }
  }
  std::sort(ms.begin(), ms.end());
  return Percentile(ms, 0.5);
}

}  // namespace

void LargeGroup(Context& c, int members, int rounds) {
  const std::string scenario = absl::StrCat("group", members);
  c.ClaimScenario(scenario);
  auto pool = pg::Pool::Create({.dsn = c.dsn, .size = 1});
  if (!pool.ok()) return c.report.Fail(scenario, "database: " + pool.status().ToString());
  Section& s = c.report.AddSection(scenario, absl::StrFormat("A group of %d members", members),
                                   {"measure", "value", "unit"});
  s.Note(
      "Users registered and logged in through the API; the owner's first 255 friends joined "
      "through POST /v1/conversations, the rest by bulk SQL (one memberships row each, see "
      "bench/large_group_scenario.cc).");

  absl::Time t0 = absl::Now();
  std::vector<BenchUser> group =
      CreateUsersInParallel(c, c.prefix + "g" + std::to_string(members), members + 1);
  if (static_cast<int>(group.size()) < members + 1) {
    return c.report.Fail(scenario, "could not register the group's users");
  }
  const BenchUser extra = group.back();  // written in last (the "10,000th")
  group.pop_back();
  const BenchUser& owner = group[0];
  const int by_api = std::min(members - 1, kApiGroupMax);
  const std::string room = CreateGroup(
      c, scenario, owner, std::vector<BenchUser>(group.begin() + 1, group.begin() + 1 + by_api));
  if (room.empty()) return;
  std::string seeded;
  for (size_t i = 1 + by_api; i < group.size(); ++i) {
    absl::StrAppend(&seeded, seeded.empty() ? "" : ",", group[i].user_id);
  }
  if (!seeded.empty()) {
    auto seed = (*pool)->Exec(kSeedMembers, {room, seeded});
    auto bump = (*pool)->Exec(kBumpDepth, {room});
    if (!seed.ok() || !bump.ok()) return c.report.Fail(scenario, "seeding the members failed");
  }
  s.Row({"setup (register, log in, befriend, create, seed)",
         Num(absl::ToDoubleSeconds(absl::Now() - t0), 1), "s"});

  // Rows written by the sends: one event each, nothing per member.
  auto before = (*pool)->Exec(kRowCounts);
  FanOutRun run = MeasureFanOut(c, scenario, group, owner, room, rounds, absl::Seconds(60),
                                /*poll_timeout_ms=*/25'000);
  auto after = (*pool)->Exec(kRowCounts);
  s.Row({"send -> last member's sync returns it, p50", Num(Percentile(run.last_member_ms, 0.5)),
         "ms"});
  s.Row({"send -> last member's sync returns it, p99", Num(Percentile(run.last_member_ms, 0.99)),
         "ms"});
  s.Row({"rounds all delivered", static_cast<int64_t>(run.last_member_ms.size()),
         "of " + std::to_string(rounds)});
  const std::vector<std::string> cpu_columns = CpuWindow::Columns("copy");
  for (size_t i = 0; i < cpu_columns.size() && i < run.cpu_us_per_copy.size(); ++i) {
    s.Row({cpu_columns[i], run.cpu_us_per_copy[i], "per delivered copy"});
  }
  s.Row({"sync calls per delivered copy",
         Num(static_cast<double>(run.sync_calls) / (static_cast<double>(rounds) * members)), ""});
  ReportCheck(c, scenario, run.check);
  if (before.ok() && after.ok()) {
    const char* names[] = {"events", "notices", "receipts"};
    for (int col = 0; col < 3; ++col) {
      s.Row({absl::StrCat(names[col], " rows written per send"),
             Num(static_cast<double>(after->GetInt64(0, col) - before->GetInt64(0, col)) / rounds),
             "rows"});
    }
    if (after->GetInt64(0, 0) - before->GetInt64(0, 0) > rounds) {
      c.report.Fail(scenario, "a send wrote more than one event");
    }
  }

  // One member's sync that reads a new message: this group against a group
  // of 10 (created the same way, same users).
  std::vector<BenchUser> sample(group.begin() + 1,
                                group.begin() + 1 + std::min<int>(kSampledSyncs, members - 1));
  const double large_ms = SyncReadMs(c, scenario, sample, owner, room);
  const std::string small_room = CreateGroup(
      c, scenario + "-small", owner, std::vector<BenchUser>(group.begin() + 1, group.begin() + 10));
  const double small_ms =
      small_room.empty() ? 0
                         : SyncReadMs(c, scenario + "-small",
                                      std::vector<BenchUser>(sample.begin(), sample.begin() + 9),
                                      owner, small_room);
  s.Row({"one member's sync returning a message, median", Num(large_ms), "ms"});
  s.Row({"the same in a group of 10", Num(small_ms), "ms"});

  // One member's first look at the room: the position, the conversation list
  // (with the member ids) and the first history page.
  Api api(c.http);
  const BenchUser& member = group.back();
  s.Row({"first sync (position) of one member",
         Num(TimedMs([&] { api.Call("GET", "/v1/sync", std::nullopt, member.access_token); })),
         "ms"});
  s.Row({"GET /v1/conversations of one member (lists all member ids)", Num(TimedMs([&] {
           api.Call("GET", "/v1/conversations", std::nullopt, member.access_token);
         })),
         "ms"});
  s.Row({"first history page of the room", Num(TimedMs([&] {
           api.Call("GET", "/v1/conversations/" + room + "/messages", std::nullopt,
                    member.access_token);
         })),
         "ms"});

  // One more member: a Matrix invite (a state event written into the room
  // through the writer) is what exists before the groups branch's add route.
  if (!BefriendInParallel(c, owner, {extra})) c.report.Fail(scenario, "befriending failed");
  auto stub = messaging::v1::MessagingService::NewStub(c.channel);
  messaging::v1::InviteRequest invite;
  invite.set_user_id(owner.user_id);
  invite.set_conversation_id(room);
  invite.set_invitee_id(extra.user_id);
  messaging::v1::InviteResponse invited;
  grpc::Status status;
  const double invite_ms = TimedMs([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    status = stub->Invite(&context, invite, &invited);
  });
  if (!status.ok()) c.report.Fail(scenario, "invite: " + status.error_message());
  s.Row({absl::StrCat("writing member ", members + 1, " in (Matrix invite via gRPC)"),
         Num(invite_ms), "ms"});
}

}  // namespace messenger::bench
