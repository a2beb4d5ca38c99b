#include "gateway/src/client_ip.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "common/text.h"

namespace messenger::gateway {
namespace {

// The trimmed, non-empty items of a comma-separated list.
std::vector<std::string> Items(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string item = text::Trim(list.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

// An IPv4 or IPv6 literal as bytes; false when it is neither.
bool ParseAddress(std::string_view text, bool& v6, std::array<uint8_t, 16>& out) {
  const std::string s = text::Trim(text);
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  for (const std::string& item : Items(list)) {
    Range range;
    std::string address = item;
    const size_t slash = item.find('/');
    int prefix = -1;
    if (slash != std::string::npos) {
      address = item.substr(0, slash);
      if (!absl::SimpleAtoi(item.substr(slash + 1), &prefix)) prefix = -2;
    }
    if (!ParseAddress(address, range.v6, range.bytes)) {
      return absl::InvalidArgumentError("trusted proxy is not an address or CIDR range: " + item);
    }
    const int bits = range.v6 ? 128 : 32;
    if (prefix == -1) prefix = bits;
    if (prefix < 0 || prefix > bits) {
      return absl::InvalidArgumentError("bad prefix length in trusted proxy " + item);
    }
    range.prefix = prefix;
    out.ranges_.push_back(range);
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view address) const {
  bool v6 = false;
  std::array<uint8_t, 16> bytes;
  if (!ParseAddress(address, v6, bytes)) return false;
  for (const Range& r : ranges_) {
    if (r.v6 != v6) continue;
    int left = r.prefix;
    bool match = true;
    for (size_t i = 0; left > 0 && match; ++i, left -= 8) {
      const uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
      match = (bytes[i] & mask) == (r.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(std::string_view peer,
                                          std::string_view forwarded_for) const {
  if (!Contains(peer) || forwarded_for.empty()) return std::string(peer);
  // Right to left: each trusted hop vouches for the entry before it.
  const std::vector<std::string> hops = Items(forwarded_for);
  std::string client(peer);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const std::string& hop = *it;
    bool v6 = false;
    std::array<uint8_t, 16> bytes;
    if (!ParseAddress(hop, v6, bytes)) break;  // garbage: keep the last trusted view
    client = std::string(hop);
    if (!Contains(hop)) break;
  }
  return client;
}

}  // namespace messenger::gateway
