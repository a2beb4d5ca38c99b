#include "common/bus/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/text.h"

namespace messenger::bus {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The range google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

// RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits, as the library prints it.
bool AppendTimestamp(const Message& message, std::string& out) {
  const auto* descriptor = message.GetDescriptor();
  const Reflection* reflection = message.GetReflection();
  const int64_t seconds = reflection->GetInt64(message, descriptor->FindFieldByNumber(1));
  const int32_t nanos = reflection->GetInt32(message, descriptor->FindFieldByNumber(2));
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds || nanos < 0 ||
      nanos > 999'999'999) {
    return false;  // the library reports the error
  }
  const absl::CivilSecond civil =
      absl::ToCivilSecond(absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  absl::StrAppendFormat(&out, "\"%04d-%02d-%02dT%02d:%02d:%02d", civil.year(), civil.month(),
                        civil.day(), civil.hour(), civil.minute(), civil.second());
  if (nanos % 1'000'000 == 0 && nanos != 0) {
    absl::StrAppendFormat(&out, ".%03d", nanos / 1'000'000);
  } else if (nanos % 1'000 == 0 && nanos != 0) {
    absl::StrAppendFormat(&out, ".%06d", nanos / 1'000);
  } else if (nanos != 0) {
    absl::StrAppendFormat(&out, ".%09d", nanos);
  }
  out.append("Z\"");
  return true;
}

bool AppendMessage(const Message& message, std::string& out);

// One value of `field` (element `index` when repeated); false: not covered here.
bool AppendValue(const Message& message, const FieldDescriptor* field, int index,
                 std::string& out) {
  const Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(&out, repeated ? r->GetRepeatedInt32(message, field, index)
                                     : r->GetInt32(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(&out, repeated ? r->GetRepeatedUInt32(message, field, index)
                                     : r->GetUInt32(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_INT64:  // 64-bit integers are strings in the mapping
      absl::StrAppend(&out, "\"",
                      repeated ? r->GetRepeatedInt64(message, field, index)
                               : r->GetInt64(message, field),
                      "\"");
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(&out, "\"",
                      repeated ? r->GetRepeatedUInt64(message, field, index)
                               : r->GetUInt64(message, field),
                      "\"");
      return true;
    case FieldDescriptor::CPPTYPE_BOOL:
      out.append((repeated ? r->GetRepeatedBool(message, field, index)
                           : r->GetBool(message, field))
                     ? "true"
                     : "false");
      return true;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number =
          repeated ? r->GetRepeatedEnumValue(message, field, index) : r->GetEnumValue(message, field);
      if (field->enum_type()->full_name() == "google.protobuf.NullValue") return false;
      if (const auto* value = field->enum_type()->FindValueByNumber(number); value != nullptr) {
        text::AppendJsonString(value->name(), out);
      } else {
        absl::StrAppend(&out, number);  // unknown values print as numbers
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (field->type() == FieldDescriptor::TYPE_BYTES) return false;  // base64: library
      std::string scratch;
      const std::string& s = repeated ? r->GetRepeatedStringReference(message, field, index, &scratch)
                                      : r->GetStringReference(message, field, &scratch);
      if (!text::IsValidUtf8(s)) return false;  // the library decides what invalid text becomes
      text::AppendJsonString(s, out);
      return true;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child =
          repeated ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      if (child.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
        return AppendTimestamp(child, out);
      }
      return AppendMessage(child, out);
    }
    default:  // double and float: NaN, infinities and shortest round-trip digits
      return false;
  }
}

bool AppendMessage(const Message& message, std::string& out) {
  const auto* descriptor = message.GetDescriptor();
  // Well-known types with special mappings, oneofs and proto3 optionals
  // (presence rules) stay with the library.
  if (descriptor->file()->name().rfind("google/protobuf/", 0) == 0) return false;
  if (descriptor->oneof_decl_count() > 0) return false;
  const Reflection* r = message.GetReflection();
  out.push_back('{');
  bool first = true;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_map()) return false;
    // Unset messages are left out; every other field prints, defaults included.
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated() &&
        !r->HasField(message, field)) {
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    text::AppendJsonString(field->name(), out);
    out.push_back(':');
    if (field->is_repeated()) {
      out.push_back('[');
      const int size = r->FieldSize(message, field);
      for (int j = 0; j < size; ++j) {
        if (j > 0) out.push_back(',');
        if (!AppendValue(message, field, j, out)) return false;
      }
      out.push_back(']');
    } else if (!AppendValue(message, field, 0, out)) {
      return false;
    }
  }
  out.push_back('}');
  return true;
}

}  // namespace

absl::StatusOr<std::string> ProtoToJson(const Message& message) {
  std::string out;
  out.reserve(256);
  if (AppendMessage(message, out)) return out;
  return ProtoToJsonByLibrary(message);
}

absl::StatusOr<std::string> ProtoToJsonByLibrary(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("event data: ", status.message().as_string()));
  }
  return json;
}

}  // namespace messenger::bus
