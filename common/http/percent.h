// Percent-decoding of URL paths and query strings (pure, no IO: the gateway's
// parameter checks and their fuzzer use it without the server).
#pragma once

#include <string>
#include <string_view>

namespace messenger::http {

// Query-string decoding ('+' is a space).
std::string PercentDecode(std::string_view text);
// Path decoding ('+' stays).
std::string PercentDecodePath(std::string_view text);

}  // namespace messenger::http
