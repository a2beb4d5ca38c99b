#include "gateway/src/auth/bearer_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/bus/event.h"
#include "common/crypto.h"
#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "common/time_util.h"

namespace messenger::gateway {
namespace {

constexpr char kBadToken[] = "missing or invalid access token";

}  // namespace

absl::StatusOr<Principal> GrpcSessionValidator::Validate(std::string_view access_token) {
  session::v1::ValidateSessionRequest request;
  request.set_access_token(std::string(access_token));
  session::v1::ValidateSessionResponse response;
  auto context = grpcx::NewClientContext(timeout_);
  RETURN_IF_ERROR(FromGrpcStatus(stub_.ValidateSession(context.get(), request, &response)));
  Principal principal{response.user_id(), response.session_id()};
  if (response.has_expires_at()) principal.expires_at = FromProto(response.expires_at());
  principal.device_id = response.device_id();
  return principal;
}

BearerAuth::BearerAuth(SessionValidator& validator, absl::Duration cache_ttl, const Clock& clock,
                       size_t max_entries)
    : validator_(validator),
      ttl_(cache_ttl),
      clock_(clock),
      tokens_("gateway_tokens", max_entries),
      revoked_("gateway_revoked_sessions", max_entries) {}

absl::StatusOr<Principal> BearerAuth::Authenticate(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kScheme.size()), "bearer ")) {
    return absl::UnauthenticatedError(kBadToken);
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return AuthenticateToken(token);
}

absl::StatusOr<Principal> BearerAuth::AuthenticateToken(std::string_view token) {
  if (token.empty() || token.size() > 128) return absl::UnauthenticatedError(kBadToken);

  const std::string key = Sha256(token);
  if (std::optional<Entry> cached = tokens_.Get(key)) {
    if (clock_.Now() < cached->expires) return cached->principal;
    tokens_.Erase(key);
  }
  absl::StatusOr<Principal> principal = validator_.Validate(token);
  if (!principal.ok()) {
    if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(
          principal.status().message() == kExpiredTokenMessage ? kExpiredTokenMessage : kBadToken);
    }
    return principal.status();
  }
  const absl::Time now = clock_.Now();
  if (now >= principal->expires_at) return absl::UnauthenticatedError(kExpiredTokenMessage);
  if (std::optional<absl::Time> forget_after = revoked_.Get(principal->session_id)) {
    if (now < *forget_after) return absl::UnauthenticatedError(kBadToken);
    revoked_.Erase(principal->session_id);
  }
  tokens_.Put(key, Entry{*principal, std::min(now + ttl_, principal->expires_at)});
  // A revocation that landed between the check above and the Put.
  if (revoked_.Get(principal->session_id).has_value()) {
    tokens_.Erase(key);
    return absl::UnauthenticatedError(kBadToken);
  }
  return principal;
}

void BearerAuth::InvalidateSession(const std::string& session_id) {
  revoked_.Put(session_id, clock_.Now() + ttl_);
  tokens_.EraseIf([&session_id](const std::string&, const Entry& entry) {
    return entry.principal.session_id == session_id;
  });
  if (on_invalidated_) on_invalidated_(session_id);
}

bool BearerAuth::StillValid(const std::string& session_id) {
  std::optional<absl::Time> forget_after = revoked_.Get(session_id);
  return !forget_after.has_value() || clock_.Now() >= *forget_after;
}

void BearerAuth::OnSessionRevokedEvent(std::string_view payload) {
  auto event = bus::Event::FromJson(payload);
  if (!event.ok()) return;
  const nlohmann::json data = event->Data();
  if (!data.contains("session_id") || !data["session_id"].is_string()) return;
  InvalidateSession(data["session_id"].get<std::string>());
}

void BearerAuth::DropAll() { tokens_.Clear(); }

size_t BearerAuth::cached() const { return tokens_.size(); }

}  // namespace messenger::gateway
