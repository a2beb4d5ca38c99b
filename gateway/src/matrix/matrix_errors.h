// The one mapping from absl::Status to Matrix error answers ({errcode, error}
// with the spec's HTTP status), shared by every /_matrix/ route (client,
// federation, key). A status made by MatrixError carries its errcode; any
// other status gets the errcode of its code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/http/http_server.h"

namespace messenger::gateway::matrix {

// Error codes of the spec ("Standard error response").
inline constexpr char kForbidden[] = "M_FORBIDDEN";
inline constexpr char kUnknownToken[] = "M_UNKNOWN_TOKEN";
inline constexpr char kMissingToken[] = "M_MISSING_TOKEN";
inline constexpr char kBadJson[] = "M_BAD_JSON";
inline constexpr char kNotJson[] = "M_NOT_JSON";
inline constexpr char kNotFound[] = "M_NOT_FOUND";
inline constexpr char kLimitExceeded[] = "M_LIMIT_EXCEEDED";
inline constexpr char kUnrecognized[] = "M_UNRECOGNIZED";
inline constexpr char kUnknown[] = "M_UNKNOWN";
inline constexpr char kUserInUse[] = "M_USER_IN_USE";
inline constexpr char kInvalidUsername[] = "M_INVALID_USERNAME";
inline constexpr char kInvalidParam[] = "M_INVALID_PARAM";
inline constexpr char kMissingParam[] = "M_MISSING_PARAM";
inline constexpr char kTooLarge[] = "M_TOO_LARGE";
inline constexpr char kWeakPassword[] = "M_WEAK_PASSWORD";
inline constexpr char kUserDeactivated[] = "M_USER_DEACTIVATED";
inline constexpr char kThreepidNotFound[] = "M_THREEPID_NOT_FOUND";
inline constexpr char kUnsupportedRoomVersion[] = "M_UNSUPPORTED_ROOM_VERSION";
// Federation: an invite into a room of a version this server does not support.
inline constexpr char kIncompatibleRoomVersion[] = "M_INCOMPATIBLE_ROOM_VERSION";
// PUT /directory/room/{alias} of a taken alias (409).
inline constexpr char kRoomInUse[] = "M_ROOM_IN_USE";
// A second identical reaction (m.annotation) of one user (Synapse's 400).
inline constexpr char kDuplicateAnnotation[] = "M_DUPLICATE_ANNOTATION";
// Federation: a request without a valid X-Matrix signature.
inline constexpr char kUnauthorized[] = "M_UNAUTHORIZED";

// A status whose Matrix answer is `errcode` (one of the constants above) with
// the spec's HTTP status for it; its absl code is the closest one, so the
// status still reads right outside the Matrix routes.
absl::Status MatrixError(std::string_view errcode, std::string_view message);
// A service's OUT_OF_RANGE (a body or stock over its bound) as 413
// M_TOO_LARGE, for routes whose bounds the spec words so; anything else as is.
absl::Status OutOfRangeAsTooLarge(absl::Status status);
// M_UNKNOWN_TOKEN for an expired access token that a refresh can replace:
// the answer carries "soft_logout": true.
absl::Status SoftLogoutError(std::string_view message);

// The errcode and HTTP status a status answers with.
std::string ErrcodeOf(const absl::Status& status);
int MatrixHttpStatus(const absl::Status& status);

// The Matrix error answer: {errcode, error} (+ soft_logout, + retry_after_ms
// and a Retry-After header for M_LIMIT_EXCEEDED). INTERNAL and other 5xx
// answers say nothing of their cause (that goes to the log).
http::Response MatrixErrorResponse(const absl::Status& status);

// Paths whose errors are Matrix errors (the APIs and their discovery files).
bool IsMatrixPath(std::string_view path);

// CORS of /_matrix/ as the spec asks: any origin (tokens travel in headers,
// never cookies). The answer to a preflight, and the headers of any answer.
http::Response MatrixPreflight();
void AddMatrixCorsHeaders(http::Response& response);
// An unknown endpoint: 404 M_UNRECOGNIZED, or 405 M_UNRECOGNIZED with Allow
// when the path is known with other methods.
http::Response UnrecognizedResponse(bool path_known, const std::vector<std::string>& allowed);

}  // namespace messenger::gateway::matrix
