#include "common/bus/event.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "common/bus/proto_json.h"
#include "common/status.h"
#include "common/time_util.h"
#include "common/trace.h"

namespace messenger::bus {

std::string Event::ToJson() const {
  // Concatenated, so the payload is not parsed again for every copy written.
  const auto quoted = [](const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  return absl::StrCat("{\"id\":", quoted(id), ",\"type\":", quoted(type),
                      ",\"source\":", quoted(source), ",\"time\":\"", FormatRfc3339Millis(time),
                      "\",\"trace_id\":", quoted(trace_id), ",\"data\":", data.empty() ? "{}" : data,
                      "}");
}

nlohmann::json Event::Data() const {
  return nlohmann::json::parse(data.empty() ? "{}" : data, nullptr, /*allow_exceptions=*/false);
}

absl::StatusOr<Event> Event::FromJson(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("event: not a JSON object");
  for (const char* key : {"id", "type", "source", "time"}) {
    if (!j.contains(key) || !j[key].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("event: missing string field ", key));
    }
  }
  Event e;
  e.id = j["id"].get<std::string>();
  e.type = j["type"].get<std::string>();
  e.source = j["source"].get<std::string>();
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, j["time"].get<std::string>(), &e.time, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("event: bad time: ", err));
  }
  if (j.contains("trace_id") && j["trace_id"].is_string()) e.trace_id = j["trace_id"];
  e.data = j.contains("data") && j["data"].is_object() ? j["data"].dump() : "{}";
  return e;
}

absl::Status Event::DataTo(google::protobuf::Message& message) const {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(data.empty() ? "{}" : data, &message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("event data: ", status.message().as_string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Event> MakeEvent(std::string_view type, std::string_view source,
                                const google::protobuf::Message& data, const Clock& clock,
                                Rng& rng) {
  Event e;
  ASSIGN_OR_RETURN(e.data, ProtoToJson(data));
  e.time = clock.Now();
  e.id = NewTimeOrderedUuid(rng, absl::ToUnixMillis(e.time));
  e.type = std::string(type);
  e.source = std::string(source);
  e.trace_id = trace::CurrentTraceId();
  return e;
}

}  // namespace messenger::bus
