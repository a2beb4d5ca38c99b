#include "gateway/src/matrix/matrix_errors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/status_mapping.h"

namespace messenger::gateway::matrix {
namespace {

nlohmann::json Body(const http::Response& r) { return nlohmann::json::parse(r.body); }

std::string Header(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(MatrixErrors, ErrcodesCarryTheSpecStatus) {
  struct Case {
    const char* errcode;
    int http;
  } cases[] = {{kMissingToken, 401}, {kUnknownToken, 401}, {kForbidden, 403},
               {kNotFound, 404},     {kBadJson, 400},      {kNotJson, 400},
               {kUserInUse, 400},    {kInvalidUsername, 400}, {kTooLarge, 413},
               {kUnrecognized, 404}};
  for (const Case& c : cases) {
    http::Response r = MatrixErrorResponse(MatrixError(c.errcode, "why"));
    EXPECT_EQ(r.status, c.http) << c.errcode;
    EXPECT_EQ(Body(r), nlohmann::json({{"errcode", c.errcode}, {"error", "why"}})) << c.errcode;
  }
}

TEST(MatrixErrors, PlainStatusesMapByCode) {
  EXPECT_EQ(ErrcodeOf(absl::PermissionDeniedError("x")), kForbidden);
  EXPECT_EQ(ErrcodeOf(absl::NotFoundError("x")), kNotFound);
  EXPECT_EQ(ErrcodeOf(absl::UnauthenticatedError("x")), kUnknownToken);
  EXPECT_EQ(ErrcodeOf(absl::InvalidArgumentError("x")), kInvalidParam);
  EXPECT_EQ(MatrixHttpStatus(absl::InvalidArgumentError("x")), 400);
}

TEST(MatrixErrors, InternalErrorsSayNothingOfTheirCause) {
  http::Response r = MatrixErrorResponse(absl::InternalError("SELECT failed"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Body(r)["errcode"], kUnknown);
  EXPECT_EQ(Body(r)["error"], "internal error");
}

TEST(MatrixErrors, LimitExceededCarriesRetryAfter) {
  http::Response r = MatrixErrorResponse(RetryLaterError("slow down", absl::Milliseconds(2500)));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r)["errcode"], kLimitExceeded);
  EXPECT_EQ(Body(r)["retry_after_ms"], 2500);
  EXPECT_EQ(Header(r, "Retry-After"), "3");
  // Without a hint: one second.
  http::Response plain = MatrixErrorResponse(absl::ResourceExhaustedError("full"));
  EXPECT_EQ(Body(plain)["retry_after_ms"], 1000);
  EXPECT_EQ(Header(plain, "Retry-After"), "1");
}

TEST(MatrixErrors, SoftLogout) {
  http::Response r = MatrixErrorResponse(SoftLogoutError("access token expired"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["errcode"], kUnknownToken);
  EXPECT_EQ(Body(r)["soft_logout"], true);
  EXPECT_FALSE(Body(MatrixErrorResponse(MatrixError(kUnknownToken, "x"))).contains("soft_logout"));
}

TEST(MatrixErrors, Unrecognized) {
  http::Response missing = UnrecognizedResponse(false, {});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["errcode"], kUnrecognized);
  http::Response wrong = UnrecognizedResponse(true, {"GET", "POST"});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(Body(wrong)["errcode"], kUnrecognized);
  EXPECT_EQ(Header(wrong, "Allow"), "GET, POST");
  EXPECT_TRUE(IsMatrixPath("/_matrix/client/v3/login"));
  EXPECT_FALSE(IsMatrixPath("/v1/_matrix/"));
}

}  // namespace
}  // namespace messenger::gateway::matrix
