#include "gateway/src/matrix/sync_render.h"

#include "common/status.h"
#include "gateway/src/matrix/client_event_text.h"
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

namespace {

// An answer is a JSON tree whose event lists are binary nodes holding
// their rendered text (a parse never makes binary, so nothing a user sent
// can pose as one); Write() dumps the tree and copies those in as they are.
nlohmann::json RawText(const std::string& text) {
  return nlohmann::json::binary(std::vector<uint8_t>(text.begin(), text.end()));
}

absl::StatusOr<nlohmann::json> EventList(
    ClientEventText& texts,
    const google::protobuf::RepeatedPtrField<messaging::v1::MatrixEvent>& events, int64_t now_ms) {
  std::string text;
  text.reserve(events.size() * 512);
  RETURN_IF_ERROR(texts.AppendArray(events, now_ms, text));
  return RawText(text);
}

void Dump(const nlohmann::json& value, std::string& out) {
  out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(const nlohmann::json& node, std::string& out) {
  if (node.is_binary()) {
    out.append(node.get_binary().begin(), node.get_binary().end());
  } else if (node.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : node.items()) {
      if (!first) out += ',';
      first = false;
      Dump(nlohmann::json(key), out);
      out += ':';
      Write(value, out);
    }
    out += '}';
  } else if (node.is_array()) {
    out += '[';
    for (size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out += ',';
      Write(node[i], out);
    }
    out += ']';
  } else {
    Dump(node, out);
  }
}

}  // namespace

absl::StatusOr<http::Response> RenderSync(const messaging::v1::MatrixSyncResponse& r,
                                          int64_t now_ms, ClientEventText& texts) {
  nlohmann::json join = nlohmann::json::object();
  nlohmann::json invite = nlohmann::json::object();
  nlohmann::json leave = nlohmann::json::object();
  for (const auto& room : r.rooms()) {
    if (room.membership() == "invite") {
      ASSIGN_OR_RETURN(nlohmann::json state, ClientEvents(room.state(), now_ms));
      nlohmann::json stripped = nlohmann::json::array();
      for (const auto& event : state) stripped.push_back(Stripped(event));
      invite[room.room_id()] = {{"invite_state", Events(std::move(stripped))}};
      continue;
    }
    ASSIGN_OR_RETURN(nlohmann::json state, EventList(texts, room.state(), now_ms));
    ASSIGN_OR_RETURN(nlohmann::json events, EventList(texts, room.timeline(), now_ms));
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
    if (room.summary()) {
      out["summary"] = {{"m.heroes", room.heroes()},
                        {"m.joined_member_count", room.joined_count()},
                        {"m.invited_member_count", room.invited_count()}};
    }
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
  http::Response response;
  response.status = 200;
  response.body.reserve(r.ByteSizeLong() + r.ByteSizeLong() / 4 + 4096);
  Write(body, response.body);
  response.headers.emplace_back("Content-Type", "application/json");
  return response;
}

}  // namespace messenger::gateway::matrix
