// The client's address for per-IP limits: the peer address, or, when the
// peer is a trusted proxy, the nearest X-Forwarded-For entry that is not one.
// A client cannot choose its address unless a trusted proxy says so.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace messenger::gateway {

class TrustedProxies {
 public:
  // Comma-separated addresses or CIDR ranges ("10.0.0.0/8, ::1"); "" = none.
  static absl::StatusOr<TrustedProxies> Parse(std::string_view list);

  bool Contains(std::string_view address) const;
  bool empty() const { return ranges_.empty(); }
  // `peer` with `forwarded_for` (the X-Forwarded-For header, "" when absent).
  std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Range {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int prefix = 0;
  };
  std::vector<Range> ranges_;
};

}  // namespace messenger::gateway
