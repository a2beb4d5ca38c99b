// Edits, deletes (redactions), replies and reactions of messages: the Matrix
// contents they write and the rules that decide who may do what. Pure, no IO.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

inline constexpr char kReplaceRel[] = "m.replace";
inline constexpr char kAnnotationRel[] = "m.annotation";
inline constexpr char kReactionType[] = "m.reaction";
inline constexpr char kRedactionType[] = "m.room.redaction";
// A reaction key is short (an emoji, a word).
inline constexpr size_t kMaxReactionKeyBytes = 64;

struct ReactionCount {
  std::string key;
  int64_t count = 0;
  bool me = false;  // the viewer is among them
  bool operator==(const ReactionCount&) const = default;
};

// What the relations add to a stored message as the native API shows it.
struct MessageNotes {
  std::optional<std::string> edited_text;
  std::optional<int64_t> edited_at_ms;
  bool deleted = false;
  std::optional<std::string> reply_to;
  std::vector<ReactionCount> reactions;
};

// A message as the rules see it (nullopt: no such event).
struct TargetFacts {
  std::string room_id;
  std::string sender;  // UUID
  std::string type;
  int64_t seq = 0;
  bool is_relation = false;  // an edit or reaction itself: not a message of its own
  bool deleted = false;
};

// The caller as the rules see it.
struct Actor {
  std::string user_id;
  bool joined = false;  // a member of the target's conversation now
  int64_t power = 0;
  int64_t redact_level = 50;
};

enum class RelationAction { kEdit, kDelete, kReact, kUnreact };

// OK, or the refusal: NOT_FOUND (no such message), PERMISSION_DENIED (not a
// member; another's message, unless an admin deletes it), ALREADY_EXISTS
// (deleted already: nothing to edit, react to or delete).
absl::Status CheckRelation(RelationAction action, const std::optional<TargetFacts>& target,
                           const Actor& actor);
// A reply's target must be a message of the same conversation.
absl::Status CheckReplyTarget(const std::optional<TargetFacts>& target, const std::string& room_id);
// Non-empty, at most kMaxReactionKeyBytes, valid UTF-8, no control characters.
absl::Status ValidateReactionKey(std::string_view key);

// Contents, as the Matrix client-server spec shapes them.
nlohmann::json EditContent(const std::string& target, const std::string& text);
nlohmann::json ReactionContent(const std::string& target, const std::string& key);
// `content` of a message with its reply relation added.
void AddReplyTo(nlohmann::json& content, const std::string& target);

// A message content that edits another message (m.replace).
bool IsEdit(const nlohmann::json& content);

// What a stored PDU relates to ("" when nothing of that kind).
std::string ReplyToOf(const std::string& pdu);
// m.new_content.body of an edit's PDU ("" when redacted).
std::string EditedTextOf(const std::string& pdu);

// An edit (m.replace of an m.room.message) or a reaction (m.annotation of an
// m.reaction) a Matrix client sends: the same facts as /v1's.
struct SentRelation {
  enum class Kind { kEdit, kReaction } kind = Kind::kEdit;
  std::string target;  // m.relates_to.event_id
  std::string text;    // an edit's m.new_content.body
  std::string key;     // a reaction's key
};
// The relation of an event of `type` with `content`; nullopt when it is none
// of those (a reply is a message of its own), INVALID_ARGUMENT when it is
// malformed (no target, an edit without its new body, a reaction without key).
absl::StatusOr<std::optional<SentRelation>> SentRelationOf(const std::string& type,
                                                           const nlohmann::json& content);

}  // namespace messenger::messaging
