#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {
namespace {

std::string StringField(const Event* event, const char* key, std::string fallback) {
  if (event == nullptr) return fallback;
  const auto it = event->content().find(key);
  if (it == event->content().end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

}  // namespace

const Event* StateMap::Get(absl::string_view type, absl::string_view state_key) const {
  const auto it = events_.find(StateKey{std::string(type), std::string(state_key)});
  return it == events_.end() ? nullptr : &it->second;
}

absl::Status StateMap::Put(const Event& event) {
  if (!event.is_state()) return absl::InvalidArgumentError("only state events belong to state");
  events_.insert_or_assign(StateKey{event.type(), *event.state_key()}, event);
  return absl::OkStatus();
}

std::string StateMap::Membership(absl::string_view user_id) const {
  return StringField(member(user_id), "membership", "leave");
}

std::string StateMap::JoinRule() const { return StringField(join_rules(), "join_rule", "invite"); }

}  // namespace messenger::matrix
