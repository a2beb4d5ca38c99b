// Matrix identifiers (spec appendices, "Identifier Grammar") for room
// versions that put a domain in room ids (v10 included). In common/ because
// contact-service checks the Matrix ids of remote contacts too.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto.h"

namespace messenger::matrix {

// User ids, and room ids with their domain, are limited to 255 bytes.
inline constexpr size_t kMaxIdentifierBytes = 255;

// server_name = hostname [ ":" port ], hostname an IPv4 literal, a bracketed
// IPv6 literal or a DNS name.
bool IsValidServerName(absl::string_view server_name);

// "@localpart:server_name" with the current grammar: localpart [a-z0-9._=/+-]+.
bool IsValidUserId(absl::string_view user_id);

// The historical grammar that must still be accepted inside events from other
// servers: any localpart without ':' or NUL, even empty, as long as it is UTF-8.
bool IsHistoricalUserId(absl::string_view user_id);

// Builds a user id from parts, validated with the current grammar.
absl::StatusOr<std::string> MakeUserId(absl::string_view localpart, absl::string_view server_name);

// "!opaque:server_name", opaque non-empty without ':' or NUL.
bool IsValidRoomId(absl::string_view room_id);
absl::StatusOr<std::string> MakeRoomId(absl::string_view opaque, absl::string_view server_name);
// A fresh room id with an 18-character alphanumeric opaque part.
absl::StatusOr<std::string> NewRoomId(Rng& rng, absl::string_view server_name);

// Event ids of room versions 4 and later: "$" + 43 URL-safe base64 characters.
bool IsValidEventId(absl::string_view event_id);

// The server name of a user id or room id (text after the first ':').
absl::StatusOr<std::string> ServerNameOf(absl::string_view id);

}  // namespace messenger::matrix
