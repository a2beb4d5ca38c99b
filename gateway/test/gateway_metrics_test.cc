// The gateway's HTTP metrics take labels from fixed sets only: whatever
// methods and paths clients make up, the number of series stays put.
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <sstream>

#include "common/metrics.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {
namespace {

size_t RequestSeries() {
  std::istringstream text(metrics::Registry::Default().Render());
  size_t series = 0;
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("http_requests_total{", 0) == 0) ++series;
  }
  return series;
}

class GatewayMetricsTest : public ::testing::Test {
 protected:
  GatewayMetricsTest() {
    // Never dialled: these requests end before any route runs.
    auto channel = grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
    GatewayConfig config;
    config.workers = 1;
    gateway_ = std::make_unique<Gateway>(config,
                                         ServiceChannels{channel, channel, channel, channel, channel},
                                         [] { return absl::OkStatus(); });
  }

  int Serve(const std::string& method, const std::string& path) {
    http::Request request;
    request.method = method;
    request.path = path;
    std::promise<int> status;
    gateway_->Handler()(std::move(request),
                        [&status](http::Response r) { status.set_value(r.status); });
    return status.get_future().get();
  }

  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayMetricsTest, MadeUpMethodsAndPathsAddNoSeries) {
  // One of each answer the made-up requests below get.
  ASSERT_EQ(Serve("FOO0", "/v1/me"), 405);
  ASSERT_EQ(Serve("FOO0", "/nowhere/0"), 404);
  ASSERT_EQ(Serve("GET", "/nowhere/0"), 404);
  const size_t before = RequestSeries();
  std::mt19937 random(42);
  for (int i = 0; i < 50; ++i) {
    std::string method;
    for (int c = 0; c < 6; ++c) method.push_back(static_cast<char>('A' + random() % 26));
    EXPECT_EQ(Serve(method, "/v1/me"), 405);
    EXPECT_EQ(Serve(method, "/nowhere/" + std::to_string(random())), 404);
    EXPECT_EQ(Serve("GET", "/nowhere/" + method), 404);
  }
  EXPECT_EQ(RequestSeries(), before);
}

}  // namespace
}  // namespace messenger::gateway
