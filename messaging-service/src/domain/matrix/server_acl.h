// Server ACLs (m.room.server_acl): which servers may take part in a room.
// Applied at the network layer to the server making a request (the
// server-server API's "Server Access Control Lists"), never by the auth
// rules. Pure, no IO.
#pragma once

#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {

inline constexpr char kServerAclType[] = "m.room.server_acl";

// The Matrix glob (appendices: `*` any run, `?` one character), compared
// without regard to ASCII case.
bool GlobMatches(absl::string_view pattern, absl::string_view text);

// Whether a server name (a port, if any, is ignored) is an IPv4 or a
// bracketed IPv6 literal.
bool IsIpLiteral(absl::string_view server_name);

// The spec's order: no ACL event allows; an IP literal is denied when
// allow_ip_literals is false; then deny, then allow; otherwise denied.
// Entries that are not strings count for nothing.
bool AclAllows(const Event* acl, absl::string_view server_name);
inline bool AclAllows(const StateMap& state, absl::string_view server_name) {
  return AclAllows(state.Get(kServerAclType, ""), server_name);
}

}  // namespace messenger::matrix
