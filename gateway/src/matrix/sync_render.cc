#include "gateway/src/matrix/sync_render.h"

#include "common/status.h"
#include "gateway/src/matrix/client_events.h"

namespace messenger::gateway::matrix {
namespace {

nlohmann::json Events(nlohmann::json events) { return {{"events", std::move(events)}}; }

// What an invite shows of a state event (the spec's StrippedStateEvent).
nlohmann::json Stripped(const nlohmann::json& event) {
  return {{"type", event["type"]},
          {"state_key", event.value("state_key", "")},
          {"content", event["content"]},
          {"sender", event["sender"]}};
}

}  // namespace

absl::StatusOr<nlohmann::json> ClientEvents(
    const google::protobuf::RepeatedPtrField<messaging::v1::MatrixEvent>& events, int64_t now_ms) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& event : events) {
    ASSIGN_OR_RETURN(out.emplace_back(), ClientEvent(event, now_ms));
  }
  return out;
}

void MergeJson(nlohmann::json& into, const nlohmann::json& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (const auto& [key, value] : from.items()) {
    if (into.contains(key)) {
      MergeJson(into[key], value);
    } else {
      into[key] = value;
    }
  }
}

absl::StatusOr<http::Response> RenderSync(const messaging::v1::MatrixSyncResponse& r,
                                          int64_t now_ms) {
  nlohmann::json join = nlohmann::json::object();
  nlohmann::json invite = nlohmann::json::object();
  nlohmann::json leave = nlohmann::json::object();
  for (const auto& room : r.rooms()) {
    ASSIGN_OR_RETURN(nlohmann::json state, ClientEvents(room.state(), now_ms));
    if (room.membership() == "invite") {
      nlohmann::json stripped = nlohmann::json::array();
      for (const auto& event : state) stripped.push_back(Stripped(event));
      invite[room.room_id()] = {{"invite_state", Events(std::move(stripped))}};
      continue;
    }
    ASSIGN_OR_RETURN(nlohmann::json events, ClientEvents(room.timeline(), now_ms));
    nlohmann::json timeline = {{"events", std::move(events)}, {"limited", room.limited()}};
    if (!room.prev_batch().empty()) timeline["prev_batch"] = room.prev_batch();
    nlohmann::json out = {{"timeline", std::move(timeline)},
                          {"state", Events(std::move(state))},
                          {"account_data", Events(nlohmann::json::array())}};
    if (room.membership() == "leave") {
      leave[room.room_id()] = std::move(out);
      continue;
    }
    nlohmann::json ephemeral = nlohmann::json::parse(room.ephemeral_json(), nullptr, false);
    if (!ephemeral.is_array()) ephemeral = nlohmann::json::array();
    out["ephemeral"] = Events(std::move(ephemeral));
    out["unread_notifications"] = {{"notification_count", room.notification_count()},
                                   {"highlight_count", 0}};
    out["summary"] = {{"m.heroes", room.heroes()},
                      {"m.joined_member_count", room.joined_count()},
                      {"m.invited_member_count", room.invited_count()}};
    join[room.room_id()] = std::move(out);
  }
  nlohmann::json body = {
      {"next_batch", r.next_batch()},
      {"rooms",
       {{"join", std::move(join)}, {"invite", std::move(invite)}, {"leave", std::move(leave)}}},
      {"presence", Events(nlohmann::json::array())}};
  // The user sync sections (to-device, device lists, account data).
  for (const auto& section : r.sections_json()) {
    nlohmann::json part = nlohmann::json::parse(section, nullptr, false);
    if (part.is_object()) MergeJson(body, part);
  }
  if (!body.contains("account_data")) body["account_data"] = Events(nlohmann::json::array());
  return http::Response::Json(200, body);
}

}  // namespace messenger::gateway::matrix
