// MESSENGER_NATS_STREAM_REPLICAS reaches the server: EnsureStream creates
// MESSENGER_EVENTS with the configured count, and a count the server cannot
// hold (3 on a single node) is refused rather than silently dropped.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include "common/bus/nats_bus.h"
#include "common/testing/testing.h"

namespace messenger::bus {
namespace {

absl::StatusOr<std::unique_ptr<NatsBus>> ConnectWithReplicas(const std::string& url,
                                                             int replicas) {
  auto bus = NatsBus::Connect({.url = url, .name = "replicas-test", .stream_replicas = replicas});
  if (bus.ok() && !testing::WaitUntil([&] { return (*bus)->connected(); }, absl::Seconds(10))) {
    return absl::UnavailableError("not connected");
  }
  return bus;
}

TEST(StreamReplicasTest, EnsureStreamAppliesTheConfiguredCount) {
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  auto single = ConnectWithReplicas((*nats)->url(), 1);
  ASSERT_TRUE(single.ok()) << single.status();
  ASSERT_TRUE((*single)->EnsureStream().ok());
  jsStreamInfo* info = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&info, (*single)->jetstream(), kStreamName, nullptr, nullptr),
            NATS_OK);
  EXPECT_EQ(info->Config->Replicas, 1);
  jsStreamInfo_Destroy(info);

  // One node cannot hold three replicas: the update is refused.
  auto triple = ConnectWithReplicas((*nats)->url(), 3);
  ASSERT_TRUE(triple.ok()) << triple.status();
  absl::Status status = (*triple)->EnsureStream();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

}  // namespace
}  // namespace messenger::bus
