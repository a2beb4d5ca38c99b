#include "common/grpc/caller_policy.h"

#include <array>


namespace messenger::grpcx {
namespace {

constexpr std::string_view kIdentitySuffix = ".messenger.svc";
// Any authenticated peer (kubelet-style health checks from a sidecar, tools).
constexpr std::string_view kAnyPeer = "*";

struct Rule {
  std::string_view service;  // "pkg.Service" (MethodRules: "pkg.Service/Method")
  std::vector<std::string_view> callers;
};

// The table of the header comment; the k8s NetworkPolicies allow the same
// paths (k8s/base/network-policies.yaml).
const std::array<Rule, 10>& Rules() {
  static const std::array<Rule, 10> rules = {{
      {"messenger.auth.v1.AuthService", {"gateway"}},
      {"messenger.session.v1.SessionService", {"gateway", "auth"}},
      {"messenger.profile.v1.ProfileService", {"gateway"}},
      {"messenger.contact.v1.ContactService", {"gateway", "messaging"}},
      {"messenger.messaging.v1.MessagingService", {"gateway", "messaging"}},
      {"messenger.messaging.v1.MatrixAccountService", {"gateway"}},
      {"messenger.e2ee.v1.E2eeService", {"gateway"}},
      {"messenger.federation.v1.FederationService", {"gateway"}},
      {"messenger.federation.v1.FederationRoomService", {"gateway"}},
      {"grpc.health.v1.Health", {kAnyPeer}},
  }};
  return rules;
}

// Single methods one more caller may call, beside its service's rule.
const std::array<Rule, 1>& MethodRules() {
  static const std::array<Rule, 1> rules = {{
      // An account's name before its user.created arrives (auth_accounts.h).
      {"messenger.auth.v1.AuthService/GetUser", {"messaging", "profile", "contact"}},
  }};
  return rules;
}

bool Allowed(const Rule& rule, const std::optional<std::string>& caller) {
  for (std::string_view allowed : rule.callers) {
    if (allowed == kAnyPeer || (caller && allowed == *caller)) return true;
  }
  return false;
}

// "pkg.Service" of "/pkg.Service/Method", or "".
std::string_view ServiceOf(std::string_view method) {
  if (!method.starts_with('/')) return {};
  method.remove_prefix(1);
  const size_t slash = method.find('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  return method.substr(0, slash);
}

}  // namespace

std::string IdentityName(std::string_view name) {
  return std::string(name) + std::string(kIdentitySuffix);
}

std::optional<std::string> CallerName(const std::vector<std::string>& dns_names) {
  for (const std::string& dns : dns_names) {
    std::string_view name(dns);
    if (!name.ends_with(kIdentitySuffix)) continue;
    name.remove_suffix(kIdentitySuffix.size());
    // One label: "x.gateway.messenger.svc" is not the gateway.
    if (name.empty() || name.find('.') != std::string_view::npos) continue;
    return std::string(name);
  }
  return std::nullopt;
}

bool HasCallerRule(std::string_view service) {
  for (const Rule& rule : Rules()) {
    if (rule.service == service) return true;
  }
  return false;
}

absl::Status CheckCaller(std::string_view method, const std::optional<std::string>& caller) {
  const std::string who = caller ? *caller : "a peer without a messenger identity";
  const std::string_view service = ServiceOf(method);
  for (const Rule& rule : MethodRules()) {
    if (!service.empty() && method.substr(1) == rule.service && Allowed(rule, caller)) {
      return absl::OkStatus();
    }
  }
  for (const Rule& rule : Rules()) {
    if (rule.service != service) continue;
    if (Allowed(rule, caller)) return absl::OkStatus();
    std::string allowed_list;
    for (std::string_view allowed : rule.callers) {
      allowed_list += (allowed_list.empty() ? "" : ", ") + std::string(allowed);
    }
    return absl::PermissionDeniedError(who + " may not call " + std::string(service) +
                                       " (allowed: " + allowed_list + ")");
  }
  return absl::PermissionDeniedError(who + " may not call " + std::string(method));
}

}  // namespace messenger::grpcx
