#include "messaging-service/src/federation/remote_keys.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"

namespace messenger::federation {
namespace {

// A document lacking a key is fetched again at most this often.
constexpr absl::Duration kRefetchInterval = absl::Seconds(30);

}  // namespace

absl::StatusOr<std::optional<RemoteKeys::Entry>> RemoteKeys::Kept(const std::string& server_name) {
  if (std::optional<Entry> cached = cache_.Get(server_name)) return cached;
  ASSIGN_OR_RETURN(std::optional<StoredRemoteKeys> stored, store_.RemoteKeys(server_name));
  if (!stored) return std::nullopt;
  ASSIGN_OR_RETURN(nlohmann::json document, matrix::ParseJson(stored->document));
  ASSIGN_OR_RETURN(matrix::ServerKeys keys, matrix::CheckServerKeys(document, server_name));
  Entry entry{std::move(keys), stored->fetched_at, stored->usable_until};
  cache_.Put(server_name, entry);
  return entry;
}

absl::StatusOr<RemoteKeys::Entry> RemoteKeys::Fetch(const std::string& server_name) {
  ASSIGN_OR_RETURN(HttpReply reply, client_.Request("GET", server_name, "/_matrix/key/v2/server",
                                                    std::nullopt, /*sign=*/false));
  if (reply.status != 200) {
    return absl::UnavailableError(absl::StrCat("keys of ", server_name, ": HTTP ", reply.status));
  }
  absl::StatusOr<nlohmann::json> document = matrix::ParseJson(reply.body);
  if (!document.ok()) {
    return absl::UnavailableError(absl::StrCat("keys of ", server_name, ": not JSON"));
  }
  absl::StatusOr<matrix::ServerKeys> keys = matrix::CheckServerKeys(*document, server_name);
  if (!keys.ok()) {
    return absl::UnavailableError(
        absl::StrCat("keys of ", server_name, " refused: ", keys.status().message()));
  }
  const absl::Time now = clock_.Now();
  Entry entry{std::move(*keys), now, absl::InfinitePast()};
  entry.usable_until = entry.keys.UsableUntil(now);
  ASSIGN_OR_RETURN(std::string text, matrix::CanonicalJson(entry.keys.document));
  RETURN_IF_ERROR(store_.SaveRemoteKeys(server_name, {text, now, entry.usable_until}));
  cache_.Put(server_name, entry);
  return entry;
}

absl::StatusOr<matrix::ServerKeys> RemoteKeys::Get(const std::string& server_name,
                                                   absl::Time minimum_valid_until) {
  if (server_name == local_.server_name()) {
    ASSIGN_OR_RETURN(nlohmann::json document, local_.Document());
    return matrix::CheckServerKeys(document, server_name);
  }
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::optional<Entry> kept, Kept(server_name));
  if (kept && kept->usable_until >= std::max(now, minimum_valid_until)) return kept->keys;
  absl::StatusOr<Entry> fetched = Fetch(server_name);
  if (fetched.ok()) return fetched->keys;
  if (kept && kept->usable_until > now) return kept->keys;
  log::Warn("server keys unavailable",
            {{"server", server_name}, {"error", std::string(fetched.status().message())}});
  return fetched.status();
}

absl::StatusOr<std::string> RemoteKeys::VerifyKey(const std::string& server_name,
                                                  const std::string& key_id) {
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(matrix::ServerKeys keys, Get(server_name, now));
  if (const auto it = keys.verify_keys.find(key_id); it != keys.verify_keys.end())
    return it->second;
  // A key we have not seen: maybe the server rotated since we fetched.
  ASSIGN_OR_RETURN(std::optional<Entry> kept, Kept(server_name));
  if (server_name != local_.server_name() && kept && kept->fetched_at + kRefetchInterval <= now) {
    ASSIGN_OR_RETURN(Entry fetched, Fetch(server_name));
    if (const auto it = fetched.keys.verify_keys.find(key_id);
        it != fetched.keys.verify_keys.end()) {
      return it->second;
    }
  }
  return absl::UnauthenticatedError(absl::StrCat("unknown key ", key_id, " of ", server_name));
}

absl::StatusOr<std::string> RemoteKeys::PublicKeyAt(const std::string& server_name,
                                                    const std::string& key_id, absl::Time at) {
  // A timestamp in the future must not force a fetch per event.
  const absl::Time needed = std::min(at, clock_.Now());
  ASSIGN_OR_RETURN(matrix::ServerKeys keys, Get(server_name, needed));
  const int64_t at_ms = absl::ToUnixMillis(at);
  if (const auto it = keys.verify_keys.find(key_id); it != keys.verify_keys.end()) {
    if (keys.valid_until_ts >= at_ms) return it->second;
    return absl::UnauthenticatedError(
        absl::StrCat("key ", key_id, " of ", server_name, " was not valid at the event's time"));
  }
  if (const auto it = keys.old_verify_keys.find(key_id); it != keys.old_verify_keys.end()) {
    if (it->second.expired_ts >= at_ms) return it->second.public_key;
    return absl::UnauthenticatedError(
        absl::StrCat("key ", key_id, " of ", server_name, " had expired at the event's time"));
  }
  // Perhaps a key the server rotated to since: VerifyKey fetches once more.
  return VerifyKey(server_name, key_id);
}

}  // namespace messenger::federation
