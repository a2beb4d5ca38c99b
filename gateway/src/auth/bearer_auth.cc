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
  return Principal{response.user_id(), response.session_id()};
}

absl::StatusOr<Principal> BearerAuth::Authenticate(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kScheme.size()), "bearer ")) {
    return absl::UnauthenticatedError(kBadToken);
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > 128) return absl::UnauthenticatedError(kBadToken);

  const std::string key = Sha256(token);
  {
    std::lock_guard lock(mutex_);
    auto it = by_token_hash_.find(key);
    if (it != by_token_hash_.end() && clock_.Now() < it->second.expires) {
      return it->second.principal;
    }
  }
  absl::StatusOr<Principal> principal = validator_.Validate(token);
  if (!principal.ok()) {
    if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(kBadToken);
    }
    return principal.status();
  }
  const absl::Time now = clock_.Now();
  std::lock_guard lock(mutex_);
  if (revoked_.contains(principal->session_id)) return absl::UnauthenticatedError(kBadToken);
  if (by_token_hash_.size() >= max_entries_) PruneLocked(now);
  by_token_hash_[key] = {*principal, now + ttl_};
  by_session_[principal->session_id].insert(key);
  return principal;
}

void BearerAuth::InvalidateSession(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  auto it = by_session_.find(session_id);
  if (it != by_session_.end()) {
    for (const std::string& key : it->second) by_token_hash_.erase(key);
    by_session_.erase(it);
  }
  const absl::Time now = clock_.Now();
  if (revoked_.size() > 10'000) {
    for (auto r = revoked_.begin(); r != revoked_.end();) {
      r = now >= r->second ? revoked_.erase(r) : std::next(r);
    }
  }
  revoked_[session_id] = now + ttl_;
}

void BearerAuth::OnSessionRevokedEvent(std::string_view payload) {
  auto event = bus::Event::FromJson(payload);
  if (!event.ok()) return;
  const nlohmann::json data = event->Data();
  if (!data.contains("session_id") || !data["session_id"].is_string()) return;
  InvalidateSession(data["session_id"].get<std::string>());
}

size_t BearerAuth::cached() const {
  std::lock_guard lock(mutex_);
  return by_token_hash_.size();
}

void BearerAuth::PruneLocked(absl::Time now) {
  for (auto it = by_token_hash_.begin(); it != by_token_hash_.end();) {
    if (now >= it->second.expires) {
      auto s = by_session_.find(it->second.principal.session_id);
      if (s != by_session_.end()) {
        s->second.erase(it->first);
        if (s->second.empty()) by_session_.erase(s);
      }
      it = by_token_hash_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = revoked_.begin(); it != revoked_.end();) {
    it = now >= it->second ? revoked_.erase(it) : std::next(it);
  }
  // Still full of live entries: start over rather than grow without bound.
  if (by_token_hash_.size() >= max_entries_) {
    by_token_hash_.clear();
    by_session_.clear();
  }
}

}  // namespace messenger::gateway
