// Test helper: builds a room DAG of real signed v10 events by name, with the
// state before each event resolved from its prev events (state resolution
// v2) and its auth events selected from that state.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/domain/matrix/state_resolution.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix::test_dag {

inline constexpr char kDagRoom[] = "!room:example.com";
inline constexpr char kAlice[] = "@alice:example.com";
inline constexpr char kBob[] = "@bob:example.com";
inline constexpr char kCharlie[] = "@charlie:example.com";
inline constexpr char kZara[] = "@zara:example.com";

class DagBuilder {
 public:
  DagBuilder() : key_(*Ed25519Key::FromSeed(std::string(32, '\x11'), "1")) {}

  // Adds event `name` after the events named in `prevs`; origin_server_ts
  // grows in the order events are added.
  void Add(const std::string& name, const std::string& sender, const std::string& type,
           std::optional<std::string> state_key, nlohmann::json content,
           const std::vector<std::string>& prevs) {
    StateIds before;
    PduFields fields;
    int64_t depth = 0;
    std::vector<StateIds> prev_states;
    for (const std::string& prev : prevs) {
      fields.prev_events.push_back(Id(prev));
      prev_states.push_back(state_after_.at(prev));
      depth = std::max(depth, depth_.at(prev));
    }
    if (prev_states.size() == 1) {
      before = prev_states[0];
    } else if (prev_states.size() > 1) {
      auto resolved = ResolveState(prev_states, source_);
      ASSERT_TRUE(resolved.ok()) << resolved.status();
      before = *resolved;
    }
    for (const StateKey& key : AuthEventSelection(type, sender, state_key, content)) {
      if (const auto it = before.find(key); it != before.end()) {
        fields.auth_events.push_back(it->second);
      }
    }
    fields.room_id = kDagRoom;
    fields.sender = sender;
    fields.type = type;
    fields.state_key = state_key;
    fields.content = std::move(content);
    fields.depth = depth + 1;
    fields.origin_server_ts = ++ts_;
    // Every server signs with the same test key.
    auto event = BuildPdu(fields, sender.substr(sender.find(':') + 1), key_);
    ASSERT_TRUE(event.ok()) << event.status();
    source_.Add(*event);
    ids_[name] = event->event_id();
    depth_[name] = fields.depth;
    if (state_key.has_value()) before[StateKey{type, *state_key}] = event->event_id();
    state_after_[name] = std::move(before);
  }

  void AddMember(const std::string& name, const std::string& sender, const std::string& target,
                 const std::string& membership, const std::vector<std::string>& prevs) {
    Add(name, sender, kMemberType, target, {{"membership", membership}}, prevs);
  }
  void AddPowerLevels(const std::string& name, const std::string& sender,
                      const nlohmann::json& users, const std::vector<std::string>& prevs,
                      nlohmann::json content = nlohmann::json::object()) {
    content["users"] = users;
    Add(name, sender, kPowerLevelsType, "", std::move(content), prevs);
  }
  void AddTopic(const std::string& name, const std::string& sender,
                const std::vector<std::string>& prevs) {
    Add(name, sender, kTopicType, "", {{"topic", name}}, prevs);
  }

  // The initial room of the reference implementation's tests: alice creates
  // a public room, alice is at 100, bob, charlie and zara join, zara speaks.
  void AddInitialEvents() {
    Add("CREATE", kAlice, kCreateType, "", {{"creator", kAlice}, {"room_version", "10"}}, {});
    AddMember("IMA", kAlice, kAlice, "join", {"CREATE"});
    AddPowerLevels("IPOWER", kAlice, {{kAlice, 100}}, {"IMA"});
    Add("IJR", kAlice, kJoinRulesType, "", {{"join_rule", "public"}}, {"IPOWER"});
    AddMember("IMB", kBob, kBob, "join", {"IJR"});
    AddMember("IMC", kCharlie, kCharlie, "join", {"IMB"});
    AddMember("IMZ", kZara, kZara, "join", {"IMC"});
    Add("START", kZara, kMessageType, std::nullopt, {{"body", "start"}}, {"IMZ"});
  }

  const std::string& Id(const std::string& name) const { return ids_.at(name); }
  const Event& EventNamed(const std::string& name) const { return *source_.Find(Id(name)); }
  const StateIds& StateAfter(const std::string& name) const { return state_after_.at(name); }
  const EventMapSource& source() const { return source_; }
  EventMapSource& source() { return source_; }
  const Ed25519Key& key() const { return key_; }

  // The state after `base` with the keys of the events in `names` set to them.
  StateIds StateWith(const std::string& base, const std::vector<std::string>& names) const {
    StateIds state = StateAfter(base);
    for (const std::string& name : names) {
      const Event& event = EventNamed(name);
      state[StateKey{event.type(), *event.state_key()}] = event.event_id();
    }
    return state;
  }

  // The name of an event id, for readable failures.
  std::string NameOf(const std::string& id) const {
    for (const auto& [name, event_id] : ids_) {
      if (event_id == id) return name;
    }
    return id;
  }

 private:
  Ed25519Key key_;
  EventMapSource source_;
  std::map<std::string, std::string> ids_;
  std::map<std::string, int64_t> depth_;
  std::map<std::string, StateIds> state_after_;
  int64_t ts_ = 1000;
};

}  // namespace messenger::matrix::test_dag
