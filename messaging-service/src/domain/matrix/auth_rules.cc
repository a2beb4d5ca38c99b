#include "messaging-service/src/domain/matrix/auth_rules.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/signing.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

absl::Status Deny(absl::string_view reason) { return absl::PermissionDeniedError(reason); }

// A string member of a JSON object, or nullptr.
const std::string* StringAt(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// An integer member of a JSON object, or nullopt.
std::optional<int64_t> IntAt(const Json& object, absl::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(std::string(key));
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

const Json& ObjectAt(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::string Domain(absl::string_view id) {
  auto server = ServerNameOf(id);
  return server.ok() ? *server : std::string();
}

absl::Status AuthorizeCreate(const Event& event) {
  if (!event.prev_events().empty()) return Deny("m.room.create must not have prev_events");
  if (Domain(event.room_id()) != Domain(event.sender())) {
    return Deny("m.room.create room_id domain differs from the sender's");
  }
  const std::string* version = StringAt(event.content(), "room_version");
  // An absent room_version means version 1, whose rules this code does not implement.
  if (version == nullptr || *version != kRoomVersion) {
    return Deny(absl::StrCat("unsupported room version ", version ? *version : "1"));
  }
  if (!event.content().contains("creator")) return Deny("m.room.create has no creator");
  return absl::OkStatus();
}

// Rule 4.4.1: an invite that redeems an m.room.third_party_invite.
absl::Status AuthorizeThirdPartyInvite(const Event& event, const AuthState& state) {
  const std::string& target = *event.state_key();
  if (state.Membership(target) == "ban") return Deny("the invited user is banned");
  const Json& invite = event.content()["third_party_invite"];
  const auto signed_it = invite.is_object() ? invite.find("signed") : invite.end();
  if (!invite.is_object() || signed_it == invite.end() || !signed_it->is_object()) {
    return Deny("third_party_invite has no signed object");
  }
  const Json& signed_object = *signed_it;
  const std::string* mxid = StringAt(signed_object, "mxid");
  const std::string* token = StringAt(signed_object, "token");
  if (mxid == nullptr || token == nullptr)
    return Deny("third_party_invite.signed lacks mxid or token");
  if (*mxid != target) return Deny("third_party_invite.signed.mxid does not match the state_key");
  const Event* original = state.Get(kThirdPartyInviteType, *token);
  if (original == nullptr) return Deny("no m.room.third_party_invite for this token");
  if (original->sender() != event.sender()) {
    return Deny("sender differs from the sender of the m.room.third_party_invite");
  }

  std::vector<std::string> public_keys;
  if (const std::string* key = StringAt(original->content(), "public_key")) {
    public_keys.push_back(*key);
  }
  if (const auto list = original->content().find("public_keys");
      list != original->content().end() && list->is_array()) {
    for (const Json& entry : *list) {
      if (const std::string* key = StringAt(entry, "public_key")) public_keys.push_back(*key);
    }
  }
  for (const auto& [server, by_key] : ObjectAt(signed_object, "signatures").items()) {
    if (!by_key.is_object()) continue;
    for (const auto& [key_id, signature] : by_key.items()) {
      if (!absl::StartsWith(key_id, "ed25519:")) continue;
      for (const std::string& encoded : public_keys) {
        const std::optional<std::string> raw = DecodeBase64(encoded);
        if (raw.has_value() && VerifyJsonSignature(signed_object, server, key_id, *raw).ok()) {
          return absl::OkStatus();
        }
      }
    }
  }
  return Deny("third_party_invite is not signed by a key of the m.room.third_party_invite");
}

absl::Status AuthorizeMember(const Event& event, const AuthState& state, const Event& create) {
  if (!event.state_key().has_value()) {
    return absl::InvalidArgumentError("m.room.member must have a state_key");
  }
  const std::string* membership_field = StringAt(event.content(), "membership");
  if (membership_field == nullptr) {
    return absl::InvalidArgumentError("m.room.member must have a string content.membership");
  }
  const std::string& membership = *membership_field;
  const std::string& target = *event.state_key();
  const std::string& sender = event.sender();

  const std::string* authoriser = nullptr;
  if (event.content().contains("join_authorised_via_users_server")) {
    authoriser = StringAt(event.content(), "join_authorised_via_users_server");
    if (authoriser == nullptr || !IsHistoricalUserId(*authoriser)) {
      return absl::InvalidArgumentError("join_authorised_via_users_server must be a user id");
    }
    // Rule 4.2 needs a signature by the authoriser's server; when that is the
    // sender's server, the caller's mandatory sender signature check covers it.
    if (Domain(*authoriser) != Domain(sender)) {
      return absl::UnimplementedError(
          "join_authorised_via_users_server from another server needs that server's signature");
    }
  }

  const std::string sender_membership = state.Membership(sender);
  const std::string target_membership = state.Membership(target);
  const std::string join_rule = state.JoinRule();
  ASSIGN_OR_RETURN(const PowerLevels levels, PowerLevels::FromState(state));
  const int64_t sender_level = levels.UserLevel(sender);
  const int64_t target_level = levels.UserLevel(target);

  if (membership == "join") {
    const std::string* creator = StringAt(create.content(), "creator");
    if (event.prev_events().size() == 1 && event.prev_events()[0] == create.event_id() &&
        creator != nullptr && *creator == target) {
      return absl::OkStatus();
    }
    if (sender != target) return Deny("users can only join as themselves");
    if (sender_membership == "ban") return Deny("the user is banned from the room");
    if (join_rule == "invite" || join_rule == "knock") {
      if (sender_membership == "invite" || sender_membership == "join") return absl::OkStatus();
      return Deny(absl::StrCat("the room is ", join_rule, "-only and the user is not invited"));
    }
    if (join_rule == "restricted" || join_rule == "knock_restricted") {
      if (sender_membership == "invite" || sender_membership == "join") return absl::OkStatus();
      if (authoriser == nullptr) return Deny("restricted join without an authorising user");
      if (state.Membership(*authoriser) != "join")
        return Deny("the authorising user is not joined");
      if (levels.UserLevel(*authoriser) < levels.invite()) {
        return Deny("the authorising user may not invite");
      }
      return absl::OkStatus();
    }
    if (join_rule == "public") return absl::OkStatus();
    return Deny(absl::StrCat("cannot join a room whose join rule is ", join_rule));
  }

  if (membership == "invite") {
    if (event.content().contains("third_party_invite")) {
      return AuthorizeThirdPartyInvite(event, state);
    }
    if (sender_membership != "join") return Deny("only joined members can invite");
    if (target_membership == "join") return Deny("the invited user is already joined");
    if (target_membership == "ban") return Deny("the invited user is banned");
    if (sender_level >= levels.invite()) return absl::OkStatus();
    return Deny("the sender's power level is below the invite level");
  }

  if (membership == "leave") {
    if (sender == target) {
      if (sender_membership == "invite" || sender_membership == "join" ||
          sender_membership == "knock") {
        return absl::OkStatus();
      }
      return Deny(absl::StrCat("cannot leave with membership ", sender_membership));
    }
    if (sender_membership != "join") return Deny("only joined members can kick or unban");
    if (target_membership == "ban" && sender_level < levels.ban()) {
      return Deny("the sender's power level is below the ban level needed to unban");
    }
    if (sender_level >= levels.kick() && target_level < sender_level) return absl::OkStatus();
    return Deny("kicking needs the kick level and a higher power level than the target's");
  }

  if (membership == "ban") {
    if (sender_membership != "join") return Deny("only joined members can ban");
    if (sender_level >= levels.ban() && target_level < sender_level) return absl::OkStatus();
    return Deny("banning needs the ban level and a higher power level than the target's");
  }

  if (membership == "knock") {
    if (join_rule != "knock" && join_rule != "knock_restricted") {
      return Deny("the room does not allow knocking");
    }
    if (sender != target) return Deny("users can only knock as themselves");
    if (sender_membership != "ban" && sender_membership != "invite" &&
        sender_membership != "join") {
      return absl::OkStatus();
    }
    return Deny(absl::StrCat("cannot knock with membership ", sender_membership));
  }

  return absl::InvalidArgumentError(absl::StrCat("unknown membership ", membership));
}

constexpr const char* kLevelKeys[] = {"users_default", "events_default", "state_default", "ban",
                                      "redact",        "kick",           "invite"};
constexpr const char* kLevelMapKeys[] = {"events", "notifications"};

// Rules 9.1-9.3: v10 requires integers everywhere (no strings).
absl::Status CheckPowerLevelsShape(const Json& content) {
  for (const char* key : kLevelKeys) {
    if (content.contains(key) && !content[key].is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat("power level `", key, "` must be an integer"));
    }
  }
  for (const char* key : kLevelMapKeys) {
    if (!content.contains(key)) continue;
    const Json& map = content[key];
    if (!map.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("power levels `", key, "` must be an object"));
    }
    for (const auto& [name, level] : map.items()) {
      if (!level.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("power level `", key, ".", name, "` must be an integer"));
      }
    }
  }
  if (content.contains("users")) {
    const Json& users = content["users"];
    if (!users.is_object())
      return absl::InvalidArgumentError("power levels `users` must be an object");
    for (const auto& [user, level] : users.items()) {
      if (!IsHistoricalUserId(user)) {
        return absl::InvalidArgumentError(
            absl::StrCat("power levels user ", user, " is not a user id"));
      }
      if (!level.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("power level of ", user, " must be an integer"));
      }
    }
  }
  return absl::OkStatus();
}

std::set<std::string> KeysOf(const Json& a, const Json& b) {
  std::set<std::string> keys;
  for (const auto& [key, value] : a.items()) keys.insert(key);
  for (const auto& [key, value] : b.items()) keys.insert(key);
  return keys;
}

// Rules 9.4-9.10.
absl::Status AuthorizePowerLevels(const Event& event, const AuthState& state,
                                  int64_t sender_level) {
  const Json& next = event.content();
  RETURN_IF_ERROR(CheckPowerLevelsShape(next));
  const Event* previous = state.power_levels();
  if (previous == nullptr) return absl::OkStatus();
  const Json& current = previous->content();

  for (const char* key : kLevelKeys) {
    const std::optional<int64_t> before = IntAt(current, key);
    const std::optional<int64_t> after = IntAt(next, key);
    if (before == after) continue;
    if (before.has_value() && *before > sender_level) {
      return Deny(absl::StrCat("cannot change `", key, "` from a level above the sender's"));
    }
    if (after.has_value() && *after > sender_level) {
      return Deny(absl::StrCat("cannot set `", key, "` above the sender's level"));
    }
  }
  for (const char* map_key : kLevelMapKeys) {
    const Json& before_map = ObjectAt(current, map_key);
    const Json& after_map = ObjectAt(next, map_key);
    for (const std::string& key : KeysOf(before_map, after_map)) {
      const std::optional<int64_t> before = IntAt(before_map, key);
      const std::optional<int64_t> after = IntAt(after_map, key);
      if (before == after) continue;
      if (before.has_value() && *before > sender_level) {
        return Deny(absl::StrCat("cannot change `", map_key, ".", key,
                                 "` from a level above the sender's"));
      }
      if (after.has_value() && *after > sender_level) {
        return Deny(absl::StrCat("cannot set `", map_key, ".", key, "` above the sender's level"));
      }
    }
  }
  const Json& before_users = ObjectAt(current, "users");
  const Json& after_users = ObjectAt(next, "users");
  for (const std::string& user : KeysOf(before_users, after_users)) {
    const std::optional<int64_t> before = IntAt(before_users, user);
    const std::optional<int64_t> after = IntAt(after_users, user);
    if (before == after) continue;
    if (user != event.sender() && before.has_value() && *before >= sender_level) {
      return Deny(absl::StrCat("cannot change the level of ", user,
                               ", who is at or above the sender's level"));
    }
    if (after.has_value() && *after > sender_level) {
      return Deny(absl::StrCat("cannot raise ", user, " above the sender's level"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<StateKey> AuthEventSelection(absl::string_view type, absl::string_view sender,
                                         const std::optional<std::string>& state_key,
                                         const nlohmann::json& content) {
  if (type == kCreateType) return {};
  std::vector<StateKey> keys = {{kCreateType, ""}, {kPowerLevelsType, ""}};
  keys.push_back({kMemberType, std::string(sender)});
  if (type != kMemberType || !state_key.has_value()) return keys;

  if (*state_key != sender) keys.push_back({kMemberType, *state_key});
  const std::string* membership = StringAt(content, "membership");
  const std::string m = membership ? *membership : "";
  if (m == "join" || m == "invite" || m == "knock") keys.push_back({kJoinRulesType, ""});
  if (m == "invite") {
    const std::string* token =
        StringAt(ObjectAt(ObjectAt(content, "third_party_invite"), "signed"), "token");
    if (token != nullptr) keys.push_back({kThirdPartyInviteType, *token});
  }
  if (m == "join") {
    const std::string* authoriser = StringAt(content, "join_authorised_via_users_server");
    if (authoriser != nullptr && *authoriser != sender && *authoriser != *state_key) {
      keys.push_back({kMemberType, *authoriser});
    }
  }
  return keys;
}

std::vector<StateKey> AuthEventSelection(const Event& event) {
  return AuthEventSelection(event.type(), event.sender(), event.state_key(), event.content());
}

absl::StatusOr<AuthState> AuthStateFromAuthEvents(const Event& event,
                                                  absl::Span<const Event> auth_events) {
  const std::set<std::string> listed(event.auth_events().begin(), event.auth_events().end());
  std::set<std::string> given;
  for (const Event& auth_event : auth_events) given.insert(auth_event.event_id());
  if (listed != given || given.size() != auth_events.size()) {
    return absl::InvalidArgumentError("auth events given do not match the event's auth_events");
  }
  const std::vector<StateKey> selection = AuthEventSelection(event);
  const std::set<StateKey> allowed(selection.begin(), selection.end());
  AuthState state;
  for (const Event& auth_event : auth_events) {
    if (!auth_event.is_state()) return Deny("auth event is not a state event");
    const StateKey key{auth_event.type(), *auth_event.state_key()};
    if (state.Get(key.type, key.state_key) != nullptr) {
      return Deny(absl::StrCat("duplicate auth event for ", key.type, " ", key.state_key));
    }
    if (!allowed.contains(key)) {
      return Deny(absl::StrCat("unexpected auth event ", key.type, " ", key.state_key));
    }
    if (auth_event.room_id() != event.room_id()) return Deny("auth event from another room");
    RETURN_IF_ERROR(state.Put(auth_event));
  }
  if (event.type() != kCreateType && state.create() == nullptr) {
    return Deny("auth events lack the m.room.create event");
  }
  return state;
}

absl::Status Authorize(const Event& event, const AuthState& state) {
  if (event.type() == kCreateType) return AuthorizeCreate(event);

  const Event* create = state.create();
  if (create == nullptr) return Deny("the room has no m.room.create event");
  if (create->room_id() != event.room_id()) return Deny("m.room.create is from another room");
  if (const auto federate = create->content().find("m.federate");
      federate != create->content().end() && *federate == false &&
      Domain(event.sender()) != Domain(create->sender())) {
    return Deny("the room does not federate with the sender's server");
  }

  if (event.type() == kMemberType) return AuthorizeMember(event, state, *create);

  if (state.Membership(event.sender()) != "join")
    return Deny("the sender is not joined to the room");
  ASSIGN_OR_RETURN(const PowerLevels levels, PowerLevels::FromState(state));
  const int64_t sender_level = levels.UserLevel(event.sender());
  if (event.type() == kThirdPartyInviteType) {
    if (sender_level >= levels.invite()) return absl::OkStatus();
    return Deny("the sender's power level is below the invite level");
  }
  const int64_t required = levels.EventLevel(event.type(), event.is_state());
  if (required > sender_level) {
    return Deny(absl::StrCat("sending ", event.type(), " needs power level ", required,
                             ", the sender has ", sender_level));
  }
  if (event.is_state() && absl::StartsWith(*event.state_key(), "@") &&
      *event.state_key() != event.sender()) {
    return Deny("state keys starting with @ are reserved for that user");
  }
  if (event.type() == kPowerLevelsType) return AuthorizePowerLevels(event, state, sender_level);
  return absl::OkStatus();
}

}  // namespace messenger::matrix
