#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace messenger {

// "2026-11-22T05:09:00.123Z"
std::string FormatRfc3339Millis(absl::Time t);
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& ts);
// Microseconds since the epoch: PostgreSQL's timestamptz precision.
int64_t ToUnixMicros(absl::Time t);

}  // namespace messenger
