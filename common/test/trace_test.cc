#include "common/trace.h"

#include <gtest/gtest.h>

namespace messenger::trace {
namespace {

TEST(Traceparent, ParsesTheW3cExample) {
  auto id = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(Traceparent, RejectsMalformedHeaders) {
  EXPECT_FALSE(ParseTraceparent(""));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));
  EXPECT_FALSE(ParseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"));
}

TEST(Traceparent, FormatRoundTrips) {
  const std::string id = NewTraceId();
  EXPECT_EQ(id.size(), 32u);
  auto parsed = ParseTraceparent(FormatTraceparent(id));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
}

TEST(ScopedTrace, SetsAndRestoresTheThreadsId) {
  EXPECT_EQ(CurrentTraceId(), "");
  {
    ScopedTrace outer("aaaa");
    EXPECT_EQ(CurrentTraceId(), "aaaa");
    {
      ScopedTrace inner("bbbb");
      EXPECT_EQ(CurrentTraceId(), "bbbb");
    }
    EXPECT_EQ(CurrentTraceId(), "aaaa");
  }
  EXPECT_EQ(CurrentTraceId(), "");
}

}  // namespace
}  // namespace messenger::trace
