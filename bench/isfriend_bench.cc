// IsFriend under load from a plain gRPC client, against the same primary-key
// lookup done directly over libpq at the same concurrency (the floor).
//
//   bench_isfriend --http=127.0.0.1:8080 --grpc=127.0.0.1:9090
//     --pg-dsn="host=127.0.0.1 port=5433 dbname=messenger user=postgres"
//     [--seconds=5] [--concurrency=1,8,32] [--users=20] [--pid=<server pid>]
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <random>

#include "absl/strings/str_format.h"
#include "bench/bench_client.h"
#include "bench/load.h"
#include "common/crypto.h"
#include "common/pg/pg.h"
#include "messenger/contact/v1/contact.grpc.pb.h"

using namespace messenger;

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv);
  const std::string http = flags.Get("http", "127.0.0.1:8080");
  const std::string grpc_address = flags.Get("grpc", "127.0.0.1:9090");
  const std::string dsn =
      flags.Get("pg-dsn", "host=127.0.0.1 port=5433 dbname=messenger user=postgres");
  const absl::Duration duration = absl::Seconds(flags.GetInt("seconds", 5));
  const std::vector<int> levels = flags.GetInts("concurrency", {1, 8, 32});
  const int pid = flags.GetInt("pid", 0);

  bench::Api api(http);
  const std::string prefix = "bf" + HexEncode(SecureRng::Instance().Bytes(3)) + "u";
  std::vector<bench::BenchUser> users = api.CreateUsers(prefix, flags.GetInt("users", 20));
  if (users.size() < 2) {
    std::cerr << "could not create users through " << http << "\n";
    return 1;
  }
  for (size_t i = 0; i + 1 < users.size(); i += 2) {
    if (!api.Befriend(users[i], users[i + 1])) std::cerr << "befriend failed\n";
  }

  auto channel = grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials());
  auto stub = contact::v1::ContactService::NewStub(channel);
  static constexpr pg::Query kLookup{"bench_is_friend",
                                     "SELECT 1 FROM contact.relations WHERE user_low = $1 AND "
                                     "user_high = $2 AND state = 'friends'"};

  std::cout << "# IsFriend: gRPC vs direct libpq lookup\n\n"
            << "users: " << users.size() << ", duration per run: " << duration << "\n\n";
  nlohmann::json report = nlohmann::json::array();
  for (int concurrency : levels) {
    auto pool = pg::Pool::Create({.dsn = dsn, .size = concurrency, .schema = "contact"});
    if (!pool.ok()) {
      std::cerr << pool.status() << "\n";
      return 1;
    }
    auto pair_for = [&](int thread, uint64_t n) {
      const auto& a = users[(thread + n) % users.size()];
      const auto& b = users[(thread + n + 1) % users.size()];
      return std::make_pair(a.user_id, b.user_id);
    };
    std::vector<uint64_t> counters(concurrency, 0);
    bench::LoadResult baseline = bench::RunClosedLoop(concurrency, duration, [&](int t) {
      auto [a, b] = pair_for(t, counters[t]++);
      if (a > b) std::swap(a, b);
      return (*pool)->Exec(kLookup, {a, b}).ok();
    });
    const bench::ProcessUsage before = pid ? bench::ReadProcessUsage(pid) : bench::ProcessUsage{};
    std::fill(counters.begin(), counters.end(), 0);
    bench::LoadResult via_grpc = bench::RunClosedLoop(concurrency, duration, [&](int t) {
      auto [a, b] = pair_for(t, counters[t]++);
      contact::v1::IsFriendRequest request;
      request.set_user_a(a);
      request.set_user_b(b);
      contact::v1::IsFriendResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      return stub->IsFriend(&context, request, &response).ok();
    });
    const bench::ProcessUsage after = pid ? bench::ReadProcessUsage(pid) : bench::ProcessUsage{};
    std::cout << "## concurrency " << concurrency << "\n\n"
              << bench::TableHeader() << "| **libpq baseline** " << baseline.Row().substr(1)
              << "| **gRPC IsFriend** " << via_grpc.Row().substr(1) << "\n"
              << absl::StrFormat("gRPC/baseline throughput: %.2f",
                                 via_grpc.throughput / baseline.throughput);
    if (pid) {
      std::cout << absl::StrFormat(", server RSS %d KiB, server CPU %.2f s/s", after.rss_kb,
                                   (after.cpu_seconds - before.cpu_seconds) / via_grpc.seconds);
    }
    std::cout << "\n\n";
    report.push_back({{"concurrency", concurrency},
                      {"baseline", baseline.ToJson()},
                      {"grpc", via_grpc.ToJson()},
                      {"server_rss_kb", after.rss_kb}});
  }
  std::cout << "```json\n" << report.dump(1) << "\n```\n";
  return 0;
}
