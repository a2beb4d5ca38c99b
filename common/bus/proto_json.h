// The protobuf JSON mapping of an event payload (proto field names, default
// values printed), written straight from reflection.
//
// protobuf's MessageToJsonString serializes to binary and re-reads it through
// a type resolver: it was 8 % of the messaging process's CPU per message sent.
// This writer covers the field types event payloads use (integers, bool,
// string, enum, nested messages, Timestamp, repeated) and hands anything else
// (floats, bytes, maps, oneofs, other well-known types) to the library, so
// every message gets the same JSON either way.
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"

namespace messenger::bus {

absl::StatusOr<std::string> ProtoToJson(const google::protobuf::Message& message);

// The library's answer; ProtoToJson must equal it (tests compare the two).
absl::StatusOr<std::string> ProtoToJsonByLibrary(const google::protobuf::Message& message);

}  // namespace messenger::bus
