// Who may call which service over gRPC: the one table of the allowed
// internal calls, and the caller identities in the services' certificates.
//
// Each process has a certificate naming it "<name>.messenger.svc" (a SAN DNS
// name; k8s/scripts/make-grpc-certs.sh makes them). With mutual TLS a server
// reads the caller's name from the authenticated peer and accepts a call only
// when that caller may call the method's service:
//
//   service (gRPC)                  callers
//   auth.v1.AuthService             gateway; GetUser also messaging,
//                                   profile and contact (an account whose
//                                   user.created they have not applied yet)
//   session.v1.SessionService       gateway, auth (sessions at login)
//   profile.v1.ProfileService       gateway
//   contact.v1.ContactService       gateway, messaging (friendship checks)
//   messaging.v1.MessagingService   gateway, messaging (writes forwarded to
//                                   the replica owning the room)
//   messaging.v1.MatrixAccountService  gateway (served by messaging)
//   e2ee.v1.E2eeService             gateway (served by messaging)
//   federation.v1.FederationService gateway (served by messaging)
//   federation.v1.FederationRoomService gateway (served by messaging)
//   grpc.health.v1.Health           any authenticated peer
//
// Anything else (reflection included) is refused. Pure logic, no IO.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace messenger::grpcx {

// The DNS name in `name`'s certificate: "gateway" -> "gateway.messenger.svc".
std::string IdentityName(std::string_view name);

// The caller's name ("gateway") among the DNS names of its certificate, or
// nullopt when none is a messenger identity.
std::optional<std::string> CallerName(const std::vector<std::string>& dns_names);

// OK when `caller` (a name, nullopt = none) may call `method` ("/pkg.Service/Method");
// PERMISSION_DENIED otherwise.
absl::Status CheckCaller(std::string_view method, const std::optional<std::string>& caller);

// Whether the table names `service` ("pkg.Service"); one without a rule is
// refused to every caller.
bool HasCallerRule(std::string_view service);

}  // namespace messenger::grpcx
