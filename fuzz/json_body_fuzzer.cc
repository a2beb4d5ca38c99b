// The /v1 JSON body decoders: JsonBody::Parse and its accessors, called with
// the field names and in the order each route reads them (the routes decode
// inline in their handlers, so this mirrors them; keep it in step with
// gateway/src/routes/*.cc). Any outcome but a crash is fine; an error must be
// INVALID_ARGUMENT with a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/src/json_body.h"
#include "messaging-service/src/domain/conversation_rules.h"

namespace {

using messenger::gateway::JsonBody;

void Check(const absl::Status& status) {
  if (!status.ok() &&
      (status.code() != absl::StatusCode::kInvalidArgument || status.message().empty())) {
    std::abort();
  }
}

template <typename T>
void Check(const absl::StatusOr<T>& value) {
  Check(value.status());
}

enum class Kind { kString, kOptionalString, kInt, kStringArray };
struct Field {
  const char* name;
  Kind kind;
};

// Route by route: the fields its handler reads.
const std::vector<std::vector<Field>>& Decoders() {
  static const auto* decoders = new std::vector<std::vector<Field>>{
      // POST /v1/auth/register
      {{"username", Kind::kString}, {"email", Kind::kString}, {"password", Kind::kString}},
      // POST /v1/auth/verify-email
      {{"token", Kind::kString}},
      // POST /v1/auth/resend-verification
      {{"email", Kind::kString}},
      // POST /v1/auth/login
      {{"login", Kind::kString},
       {"password", Kind::kString},
       {"device_name", Kind::kOptionalString}},
      // POST /v1/auth/refresh
      {{"refresh_token", Kind::kString}},
      // POST /v1/contacts/requests
      {{"user_id", Kind::kString}},
      // PATCH /v1/me/profile
      {{"display_name", Kind::kOptionalString},
       {"avatar_url", Kind::kOptionalString},
       {"bio", Kind::kOptionalString}},
      // POST /v1/messages
      {{"to", Kind::kOptionalString},
       {"conversation_id", Kind::kOptionalString},
       {"text", Kind::kString},
       {"client_msg_id", Kind::kString}},
      // POST /v1/conversations
      {{"name", Kind::kString}, {"member_ids", Kind::kStringArray}},
      // POST /v1/conversations/{id}/seen
      {{"seq", Kind::kInt}},
  };
  return *decoders;
}

// Messaging validates what the gateway passes on unchanged.
void Validate(const std::string& name, const std::string& value) {
  namespace rules = messenger::messaging;
  if (name == "text") {
    (void)rules::ValidateText(value);
  } else if (name == "client_msg_id") {
    (void)rules::ValidateClientMsgId(value);
  } else if (name == "name") {
    absl::StatusOr<std::string> normalized = rules::NormalizeGroupName(value);
    if (normalized.ok() && !rules::NormalizeGroupName(*normalized).ok()) std::abort();
  }
}

void Decode(const JsonBody& body, const std::vector<Field>& fields) {
  for (const Field& field : fields) {
    (void)body.Has(field.name);
    switch (field.kind) {
      case Kind::kString: {
        auto value = body.RequiredString(field.name);
        Check(value);
        if (!value.ok()) return;  // the route answers 400 here
        Validate(field.name, *value);
        break;
      }
      case Kind::kOptionalString: {
        auto value = body.OptionalString(field.name);
        Check(value);
        if (!value.ok()) return;
        break;
      }
      case Kind::kInt: {
        auto value = body.RequiredInt(field.name);
        Check(value);
        Check(body.OptionalInt(field.name));
        if (!value.ok()) return;
        break;
      }
      case Kind::kStringArray: {
        auto value = body.RequiredStringArray(field.name, 256);
        Check(value);
        if (!value.ok()) return;
        if (value->size() > 256) std::abort();
        break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<JsonBody> body = JsonBody::Parse(text);
  Check(body);
  if (!body.ok()) return 0;
  for (const auto& fields : Decoders()) Decode(*body, fields);
  return 0;
}
