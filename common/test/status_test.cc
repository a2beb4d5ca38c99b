#include "common/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_mapping.h"

namespace messenger {
namespace {

absl::StatusOr<int> Half(int v) {
  if (v % 2 != 0) return absl::InvalidArgumentError("odd");
  return v / 2;
}

absl::StatusOr<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int half, Half(v));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v).status());
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).message(), "odd");
}

TEST(StatusMapping, HttpCodesFollowTheApiTable) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kFailedPrecondition), 412);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
}

TEST(StatusMapping, GrpcRoundTripKeepsCodeAndMessage) {
  for (int code = 2; code <= 16; ++code) {
    absl::Status original(static_cast<absl::StatusCode>(code), "msg");
    absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
    EXPECT_EQ(back.code(), original.code());
    EXPECT_EQ(back.message(), "msg");
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

// A service that shuts down past its drain cancels the calls still running;
// the caller must see a retryable 503, not a 499 (the client did not cancel).
TEST(StatusMapping, ACallTheServiceCancelledIsRetryable) {
  absl::Status back = FromGrpcStatus(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(HttpStatusFor(back.code()), 503);
  EXPECT_THAT(std::string(back.message()), ::testing::HasSubstr("Cancelled"));
}

TEST(StatusMapping, RetryHintSurvivesTheGrpcHop) {
  absl::Status limited = RetryLaterError("slow down", absl::Milliseconds(1500));
  EXPECT_EQ(limited.code(), absl::StatusCode::kResourceExhausted);
  absl::Status back = FromGrpcStatus(ToGrpcStatus(limited));
  EXPECT_EQ(back.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(back.message(), "slow down");
  ASSERT_TRUE(RetryAfter(back).has_value());
  EXPECT_EQ(*RetryAfter(back), absl::Milliseconds(1500));
  EXPECT_EQ(RetryAfterSeconds(back), 2);  // rounded up
  // A 429 without a hint still says when to come back.
  EXPECT_FALSE(RetryAfter(absl::ResourceExhaustedError("busy")).has_value());
  EXPECT_EQ(RetryAfterSeconds(absl::ResourceExhaustedError("busy")), 1);
}

TEST(StatusMapping, ErrorBodyHidesInternalDetails) {
  auto body = ErrorBody(absl::NotFoundError("no such user"));
  EXPECT_EQ(body["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(body["error"]["message"], "no such user");
  auto internal = ErrorBody(absl::InternalError("pq: relation users does not exist"));
  EXPECT_EQ(internal["error"]["code"], "INTERNAL");
  EXPECT_EQ(internal["error"]["message"], "internal error");
}

}  // namespace
}  // namespace messenger
