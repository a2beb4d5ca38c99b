// Contacts across servers (issue 16): the io.messenger.contact EDU that
// carries a friend request, its acceptance or a removal between a local user
// and a user of another server. Pure: which friendship events travel, and
// what an arriving EDU may claim.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

inline constexpr char kContactEduType[] = "io.messenger.contact";

// A friendship.* event as the forwarder needs it.
struct FriendshipChange {
  std::string type;              // friendship.created | accepted | removed
  std::string user_a, user_b;    // the pair (UUIDs)
  std::string actor;             // requester_id | accepted_by | removed_by
  std::string remote_matrix_id;  // the party of another server; empty: a local pair
};

// What to tell the remote user's server.
struct ContactForward {
  std::string local_user_id;  // the local party (the actor)
  std::string remote_matrix_id;
  std::string destination;  // the remote user's server
  std::string action;       // request | accept | remove
};

// The EDU a change travels as: nullopt for a local pair, and for a change
// the remote user made (it came from their server: no echo). `remote_uuid`
// is RemoteUserUuid(change.remote_matrix_id).
std::optional<ContactForward> ForwardOf(const FriendshipChange& change,
                                        const std::string& remote_uuid);

// The EDU ({"edu_type", "content"}) of `forward`, sent by `sender_matrix_id`.
nlohmann::json ContactEdu(const ContactForward& forward, const std::string& sender_matrix_id);

// An arriving EDU's claim: `remote` (of the origin) did `action` towards
// `local` (of this server).
struct ContactClaim {
  std::string local_matrix_id;
  std::string remote_matrix_id;
  std::string action;
};

// INVALID_ARGUMENT for malformed content or an unknown action,
// PERMISSION_DENIED when the sender is not of `origin` or the target not of
// `server_name`.
absl::StatusOr<ContactClaim> ParseContactEdu(const std::string& origin,
                                             const std::string& server_name,
                                             const nlohmann::json& content);

}  // namespace messenger::messaging
