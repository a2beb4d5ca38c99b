#include "messaging-service/src/domain/relations.h"

#include "common/text.h"

namespace messenger::messaging {
namespace {

absl::Status NoSuchMessage() { return absl::NotFoundError("no such message"); }

nlohmann::json ParseObject(const std::string& pdu) {
  nlohmann::json json = nlohmann::json::parse(pdu, nullptr, false);
  return json.is_object() ? json : nlohmann::json::object();
}

}  // namespace

absl::Status CheckRelation(RelationAction action, const std::optional<TargetFacts>& target,
                           const Actor& actor) {
  if (!target || target->type != "m.room.message" || target->is_relation) return NoSuchMessage();
  if (!actor.joined) {
    return absl::PermissionDeniedError("you are not a member of this conversation");
  }
  const bool own = target->sender == actor.user_id;
  switch (action) {
    case RelationAction::kEdit:
      if (!own) return absl::PermissionDeniedError("you can edit only your own messages");
      break;
    case RelationAction::kDelete:
      if (!own && actor.power < actor.redact_level) {
        return absl::PermissionDeniedError(
            "you can delete only your own messages unless you are an admin");
      }
      if (target->deleted) return absl::AlreadyExistsError("the message is already deleted");
      break;
    case RelationAction::kReact:
    case RelationAction::kUnreact:
      break;
  }
  if (target->deleted) return absl::AlreadyExistsError("the message was deleted");
  return absl::OkStatus();
}

absl::Status CheckReplyTarget(const std::optional<TargetFacts>& target,
                              const std::string& room_id) {
  if (!target || target->type != "m.room.message" || target->is_relation ||
      target->room_id != room_id) {
    return absl::InvalidArgumentError("reply_to must be a message of this conversation");
  }
  return absl::OkStatus();
}

absl::Status ValidateReactionKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("the reaction key must not be empty");
  if (key.size() > kMaxReactionKeyBytes) {
    return absl::InvalidArgumentError("the reaction key is longer than 64 bytes");
  }
  if (!text::IsValidUtf8(key) || text::HasControlCharacters(key)) {
    return absl::InvalidArgumentError("the reaction key must be UTF-8 text");
  }
  return absl::OkStatus();
}

nlohmann::json EditContent(const std::string& target, const std::string& text) {
  return {{"msgtype", "m.text"},
          {"body", "* " + text},
          {"m.new_content", {{"msgtype", "m.text"}, {"body", text}}},
          {"m.relates_to", {{"rel_type", kReplaceRel}, {"event_id", target}}}};
}

nlohmann::json ReactionContent(const std::string& target, const std::string& key) {
  return {{"m.relates_to", {{"rel_type", kAnnotationRel}, {"event_id", target}, {"key", key}}}};
}

void AddReplyTo(nlohmann::json& content, const std::string& target) {
  content["m.relates_to"] = {{"m.in_reply_to", {{"event_id", target}}}};
}

bool IsEdit(const nlohmann::json& content) {
  const nlohmann::json::json_pointer path("/m.relates_to/rel_type");
  return content.is_object() && content.contains(path) && content[path] == kReplaceRel;
}

std::string ReplyToOf(const std::string& pdu) {
  const nlohmann::json json = ParseObject(pdu);
  const nlohmann::json::json_pointer path("/content/m.relates_to/m.in_reply_to/event_id");
  if (!json.contains(path) || !json[path].is_string()) return "";
  return json[path].get<std::string>();
}

std::string EditedTextOf(const std::string& pdu) {
  const nlohmann::json json = ParseObject(pdu);
  const nlohmann::json::json_pointer path("/content/m.new_content/body");
  if (!json.contains(path) || !json[path].is_string()) return "";
  return json[path].get<std::string>();
}

absl::StatusOr<std::optional<SentRelation>> SentRelationOf(const std::string& type,
                                                           const nlohmann::json& content) {
  const auto relates = content.find("m.relates_to");
  if (relates == content.end() || !relates->is_object()) return std::nullopt;
  const std::string rel_type = relates->value("rel_type", nlohmann::json()).is_string()
                                   ? (*relates)["rel_type"].get<std::string>()
                                   : "";
  SentRelation out;
  if (type == "m.room.message" && rel_type == kReplaceRel) {
    out.kind = SentRelation::Kind::kEdit;
    const nlohmann::json::json_pointer body("/m.new_content/body");
    if (!content.contains(body) || !content[body].is_string()) {
      return absl::InvalidArgumentError("an edit has m.new_content with a string body");
    }
    out.text = content[body].get<std::string>();
  } else if (type == kReactionType && rel_type == kAnnotationRel) {
    out.kind = SentRelation::Kind::kReaction;
    const auto key = relates->find("key");
    if (key == relates->end() || !key->is_string()) {
      return absl::InvalidArgumentError("an annotation has a string key");
    }
    out.key = key->get<std::string>();
  } else {
    return std::nullopt;
  }
  const auto target = relates->find("event_id");
  if (target == relates->end() || !target->is_string() || target->get<std::string>().empty()) {
    return absl::InvalidArgumentError("m.relates_to has the related event_id");
  }
  out.target = target->get<std::string>();
  return out;
}

}  // namespace messenger::messaging
