// Issue 15's large groups: one group of `members`, every member long-polling
// /v1/sync. Measures the fan-out (send -> the last member's poll returns it),
// server CPU per delivered copy, the rows one send writes, one member's sync
// read against a small group's, one member's first look at the room, and
// writing one more member into it.
//
// Setup through the public API only: the users register and log in, the
// owner befriends them all, creates the group with the first kAddBatch and
// adds the others with POST /v1/conversations/{id}/members, kAddBatch a
// request (each add timed; rows written counted). Then one more member is
// added alone (the group's last), timed with the rows it writes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/scenarios.h"
#include "common/pg/pg.h"

namespace messenger::bench {
namespace {

constexpr int kAddBatch = 50;  // users one POST .../members takes (api.md)
constexpr int kSetupThreads = 16;
constexpr int kSampledSyncs = 50;

constexpr pg::Query kRowCounts{
    "bench_row_counts",
    "SELECT (SELECT count(*) FROM messaging.events), (SELECT count(*) FROM messaging.notices) + "
    "(SELECT count(*) FROM messaging.room_notices), "
    "(SELECT count(*) FROM messaging.receipts), (SELECT count(*) FROM messaging.memberships)"};

// Sync notice rows about one room (its members' and its own): the contact
// notices of the befriending land meanwhile and are not the adds'.
constexpr pg::Query kRoomNoticeRows{
    "bench_room_notice_rows",
    "SELECT (SELECT count(*) FROM messaging.notices WHERE room_id = $1) + "
    "(SELECT count(*) FROM messaging.room_notices WHERE room_id = $1)"};

// The befriending's sync notices about `owner` (a request and an acceptance
// for each friend, an acceptance for the owner): messaging writes them from
// the bus after the calls return.
constexpr pg::Query kOwnersContactNotices{
    "bench_owners_contact_notices",
    "SELECT count(*) FROM messaging.notices WHERE (user_id = $1 OR other_user = $1) "
    "AND kind IN ('contact_request', 'contact_accepted')"};

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

// A group of the owner and `members` (contacts, at most kAddBatch) through the API.
std::string CreateGroup(Context& c, const std::string& scenario, const BenchUser& owner,
                        const std::vector<BenchUser>& members) {
  std::vector<std::string> ids;
  for (const BenchUser& u : members) ids.push_back(u.user_id);
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
double TimedMs(const std::function<void()>& call);

// Adds `users` (contacts of the owner) to `room` through the API, kAddBatch
// a request, one request at a time; the milliseconds of each request, or
// nothing after a failure (reported).
std::vector<double> AddMembers(Context& c, const std::string& scenario, const BenchUser& owner,
                               const std::string& room, const std::vector<BenchUser>& users) {
  Api api(c.http);
  std::vector<double> ms;
  for (size_t from = 0; from < users.size(); from += kAddBatch) {
    nlohmann::json ids = nlohmann::json::array();
    for (size_t i = from; i < std::min(users.size(), from + kAddBatch); ++i) {
      ids.push_back(users[i].user_id);
    }
    int status = 0;
    nlohmann::json body;
    ms.push_back(TimedMs([&] {
      std::tie(status, body) = api.Call("POST", "/v1/conversations/" + room + "/members",
                                        nlohmann::json{{"member_ids", ids}}, owner.access_token);
    }));
    if (status != 200) {
      c.report.Fail(scenario, absl::StrCat("adding members: status ", status, " ", body.dump()));
      return {};
    }
  }
  return ms;
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

// `who`'s first look at `room`: the position, the conversation list (with
// the member ids) and the first history page, each timed.
void FirstLook(Section& s, Api& api, const std::string& who, const BenchUser& user,
               const std::string& room) {
  auto timed_get = [&](const std::string& path) {
    return Num(TimedMs([&] { api.Call("GET", path, std::nullopt, user.access_token); }));
  };
  s.Row({absl::StrCat("first sync (position) of ", who), timed_get("/v1/sync"), "ms"});
  s.Row({absl::StrCat("GET /v1/conversations of ", who, " (lists all member ids)"),
         timed_get("/v1/conversations"), "ms"});
  s.Row({absl::StrCat("first history page of the room, ", who),
         timed_get("/v1/conversations/" + room + "/messages"), "ms"});
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
      "Users registered, logged in and befriended through the API; the group created with the "
      "first 50 members and grown with POST /v1/conversations/{id}/members, 50 users a request "
      "(see bench/large_group_scenario.cc).");

  absl::Time t0 = absl::Now();
  std::vector<BenchUser> group =
      CreateUsersInParallel(c, c.prefix + "g" + std::to_string(members), members + 1);
  if (static_cast<int>(group.size()) < members + 1) {
    return c.report.Fail(scenario, "could not register the group's users");
  }
  const BenchUser owner = group[0];
  if (!BefriendInParallel(c, owner, std::vector<BenchUser>(group.begin() + 1, group.end()))) {
    return c.report.Fail(scenario, "befriending failed");
  }
  const BenchUser extra = group.back();  // added last, alone
  group.pop_back();
  s.Row(
      {"setup (register, log in, befriend)", Num(absl::ToDoubleSeconds(absl::Now() - t0), 1), "s"});
  // Measure nothing while messaging still writes the befriending's notices:
  // their work would count as the adds' and the sends'.
  t0 = absl::Now();
  const int64_t want_notices = 3 * static_cast<int64_t>(members);
  int64_t landed = 0;
  while (absl::Now() - t0 < absl::Seconds(300)) {
    auto r = (*pool)->Exec(kOwnersContactNotices, {owner.user_id});
    if (r.ok()) landed = r->GetInt64(0, 0);
    if (landed >= want_notices) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  if (landed < want_notices) {
    return c.report.Fail(scenario, absl::StrCat("befriending notices: ", landed, " of ",
                                                want_notices, " after 300 s"));
  }
  s.Row({"the befriending's notices all written, after the setup",
         Num(absl::ToDoubleSeconds(absl::Now() - t0), 1), "s"});
  t0 = absl::Now();
  const int first = std::min(members - 1, kAddBatch);
  const std::string room = CreateGroup(
      c, scenario, owner, std::vector<BenchUser>(group.begin() + 1, group.begin() + 1 + first));
  if (room.empty()) return;
  auto rows_before_adds = (*pool)->Exec(kRowCounts);
  auto notices_before_adds = (*pool)->Exec(kRoomNoticeRows, {room});
  std::vector<double> add_ms = AddMembers(
      c, scenario, owner, room, std::vector<BenchUser>(group.begin() + 1 + first, group.end()));
  auto rows_after_adds = (*pool)->Exec(kRowCounts);
  auto notices_after_adds = (*pool)->Exec(kRoomNoticeRows, {room});
  if (add_ms.empty() && members - 1 > first) return;
  s.Row({absl::StrCat("create with ", first, " + add the rest, ", kAddBatch, " a request"),
         Num(absl::ToDoubleSeconds(absl::Now() - t0), 1), "s"});
  if (!add_ms.empty()) {
    std::vector<double> sorted = add_ms;
    std::sort(sorted.begin(), sorted.end());
    s.Row({"one add of 50, p50", Num(Percentile(sorted, 0.5)), "ms"});
    s.Row({"one add of 50, max", Num(sorted.back()), "ms"});
    s.Row(
        {absl::StrCat("the last add of 50 (members ", members - kAddBatch + 1, "..", members, ")"),
         Num(add_ms.back()), "ms"});
    if (rows_before_adds.ok() && rows_after_adds.ok() && notices_before_adds.ok() &&
        notices_after_adds.ok()) {
      const double adds = static_cast<double>(add_ms.size());
      s.Row({"events rows written per add of 50",
             Num(static_cast<double>(rows_after_adds->GetInt64(0, 0) -
                                     rows_before_adds->GetInt64(0, 0)) /
                 adds),
             "rows"});
      s.Row({"notices rows (the room's and its users') written per add of 50",
             Num(static_cast<double>(notices_after_adds->GetInt64(0, 0) -
                                     notices_before_adds->GetInt64(0, 0)) /
                 adds),
             "rows"});
    }
  }

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
  FirstLook(s, api, "one member", group.back(), room);

  // One more member, added alone: the cost of growing a large group by one,
  // and the newcomer's first sync that brings the room.
  const std::string since =
      api.Call("GET", "/v1/sync", std::nullopt, extra.access_token).second.value("next", "");
  auto rows_before_one = (*pool)->Exec(kRowCounts);
  std::vector<double> one_ms = AddMembers(c, scenario, owner, room, {extra});
  auto rows_after_one = (*pool)->Exec(kRowCounts);
  if (!one_ms.empty()) {
    s.Row({absl::StrCat("adding member ", members + 1, " alone (POST .../members)"),
           Num(one_ms.front()), "ms"});
  }
  if (rows_before_one.ok() && rows_after_one.ok()) {
    s.Row({"rows it wrote: events, notices",
           absl::StrCat(rows_after_one->GetInt64(0, 0) - rows_before_one->GetInt64(0, 0), ", ",
                        rows_after_one->GetInt64(0, 1) - rows_before_one->GetInt64(0, 1)),
           "rows"});
  }
  int brought = 0;
  const double bring_ms = TimedMs([&] {
    auto [status, body] = api.Call("GET", "/v1/sync?timeout_ms=10000&since=" + since, std::nullopt,
                                   extra.access_token);
    brought = status == 200 ? static_cast<int>(body["events"].size()) : -status;
  });
  s.Row({"the newcomer's sync bringing the room (conversation, member_added)", Num(bring_ms),
         absl::StrCat("ms (", brought, " events)")});
  FirstLook(s, api, "the newcomer", extra, room);
}

}  // namespace messenger::bench
