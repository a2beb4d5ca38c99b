#include "messaging-service/src/domain/matrix/request_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::matrix {
namespace {

constexpr absl::string_view kScheme = "X-Matrix";
constexpr size_t kMaxParamBytes = 1024;

// The signed object of the spec: the request plus the origin's signature.
nlohmann::json RequestJson(absl::string_view method, absl::string_view uri,
                           absl::string_view origin, absl::string_view destination,
                           const std::optional<nlohmann::json>& content) {
  nlohmann::json object = {{"method", std::string(method)},
                           {"uri", std::string(uri)},
                           {"origin", std::string(origin)},
                           {"destination", std::string(destination)}};
  if (content.has_value()) object["content"] = *content;
  return object;
}

// One `name=value` parameter starting at `pos`; advances past it and the
// following comma.
absl::Status NextParam(absl::string_view text, size_t& pos, std::string& name, std::string& value) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  const size_t eq = text.find('=', pos);
  if (eq == absl::string_view::npos)
    return absl::InvalidArgumentError("X-Matrix: expected name=value");
  name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text.substr(pos, eq - pos)));
  pos = eq + 1;
  value.clear();
  if (pos < text.size() && text[pos] == '"') {
    ++pos;
    bool closed = false;
    while (pos < text.size()) {
      const char c = text[pos++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\' && pos < text.size()) {
        value.push_back(text[pos++]);
      } else {
        value.push_back(c);
      }
    }
    if (!closed) return absl::InvalidArgumentError("X-Matrix: unterminated quoted value");
  } else {
    const size_t end = text.find(',', pos);
    value = std::string(absl::StripAsciiWhitespace(
        text.substr(pos, end == absl::string_view::npos ? absl::string_view::npos : end - pos)));
    pos = end == absl::string_view::npos ? text.size() : end;
  }
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  if (pos < text.size()) {
    if (text[pos] != ',') return absl::InvalidArgumentError("X-Matrix: expected ','");
    ++pos;
  }
  if (name.empty() || value.size() > kMaxParamBytes) {
    return absl::InvalidArgumentError("X-Matrix: bad parameter");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<XMatrixAuth> ParseXMatrix(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  if (header.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme) ||
      (header[kScheme.size()] != ' ' && header[kScheme.size()] != '\t')) {
    return absl::InvalidArgumentError("not an X-Matrix authorization");
  }
  const absl::string_view params = header.substr(kScheme.size() + 1);
  XMatrixAuth auth;
  bool has_origin = false, has_key = false, has_sig = false;
  size_t pos = 0;
  while (pos < params.size()) {
    std::string name, value;
    RETURN_IF_ERROR(NextParam(params, pos, name, value));
    auto set = [&](bool& seen, std::string& field) -> absl::Status {
      if (seen) return absl::InvalidArgumentError(absl::StrCat("X-Matrix: repeated ", name));
      seen = true;
      field = std::move(value);
      return absl::OkStatus();
    };
    if (name == "origin") {
      RETURN_IF_ERROR(set(has_origin, auth.origin));
    } else if (name == "key") {
      RETURN_IF_ERROR(set(has_key, auth.key_id));
    } else if (name == "sig") {
      RETURN_IF_ERROR(set(has_sig, auth.signature));
    } else if (name == "destination") {
      if (auth.destination.has_value())
        return absl::InvalidArgumentError("X-Matrix: repeated destination");
      auth.destination = std::move(value);
    }
    // Unknown parameters are ignored (forward compatibility).
  }
  if (!has_origin || !has_key || !has_sig) {
    return absl::InvalidArgumentError("X-Matrix: origin, key and sig are required");
  }
  if (!IsValidServerName(auth.origin)) return absl::InvalidArgumentError("X-Matrix: bad origin");
  if (auth.destination && !IsValidServerName(*auth.destination)) {
    return absl::InvalidArgumentError("X-Matrix: bad destination");
  }
  if (!absl::StartsWith(auth.key_id, "ed25519:")) {
    return absl::InvalidArgumentError("X-Matrix: unsupported key algorithm");
  }
  return auth;
}

absl::StatusOr<std::string> SignRequest(const FederationRequest& request, const Ed25519Key& key) {
  nlohmann::json object = RequestJson(request.method, request.uri, request.origin,
                                      request.destination, request.content);
  RETURN_IF_ERROR(SignJson(object, request.origin, key));
  const std::string& sig =
      object["signatures"][request.origin][key.key_id()].get_ref<const std::string&>();
  return absl::StrCat(kScheme, " origin=\"", request.origin, "\",destination=\"",
                      request.destination, "\",key=\"", key.key_id(), "\",sig=\"", sig, "\"");
}

absl::Status VerifyRequest(const XMatrixAuth& auth, absl::string_view method, absl::string_view uri,
                           absl::string_view our_server_name,
                           const std::optional<nlohmann::json>& content,
                           absl::string_view public_key) {
  if (auth.destination.has_value() && *auth.destination != our_server_name) {
    return absl::UnauthenticatedError(
        absl::StrCat("request is for ", *auth.destination, ", not for this server"));
  }
  nlohmann::json object = RequestJson(method, uri, auth.origin, our_server_name, content);
  object["signatures"][auth.origin][auth.key_id] = auth.signature;
  absl::Status s = VerifyJsonSignature(object, auth.origin, auth.key_id, public_key);
  if (s.ok()) return s;
  if (s.code() == absl::StatusCode::kUnauthenticated) {
    return absl::UnauthenticatedError("X-Matrix signature does not verify");
  }
  return absl::UnauthenticatedError(absl::StrCat("bad X-Matrix signature: ", s.message()));
}

}  // namespace messenger::matrix
