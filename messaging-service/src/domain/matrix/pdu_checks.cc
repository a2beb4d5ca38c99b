#include "messaging-service/src/domain/matrix/pdu_checks.h"

#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/redaction.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

// The servers whose signatures a v10 event needs: the sender's, and for a
// restricted join the server of the authorising user.
absl::StatusOr<std::set<std::string>> RequiredSigners(const Event& event) {
  std::set<std::string> servers;
  ASSIGN_OR_RETURN(std::string sender_server, ServerNameOf(event.sender()));
  servers.insert(std::move(sender_server));
  if (event.membership() == "join") {
    const auto authoriser = event.content().find("join_authorised_via_users_server");
    if (authoriser != event.content().end() && authoriser->is_string()) {
      ASSIGN_OR_RETURN(std::string server, ServerNameOf(authoriser->get<std::string>()));
      servers.insert(std::move(server));
    }
  }
  return servers;
}

// Every signature of `server` under a key we can get must verify, and there
// must be at least one.
absl::Status CheckSignaturesOf(const Event& event, const std::string& server,
                               ServerKeySource& keys) {
  const Json& signatures = event.json()["signatures"];
  const auto by_key = signatures.find(server);
  if (by_key == signatures.end() || by_key->empty()) {
    return absl::UnauthenticatedError(absl::StrCat("the event is not signed by ", server));
  }
  const absl::Time at = absl::FromUnixMillis(event.origin_server_ts());
  int verified = 0;
  for (const auto& [key_id, signature] : by_key->items()) {
    if (!absl::StartsWith(key_id, "ed25519:")) continue;
    absl::StatusOr<std::string> public_key = keys.PublicKeyAt(server, key_id, at);
    if (absl::IsUnavailable(public_key.status())) return public_key.status();
    if (!public_key.ok()) continue;  // unknown or expired: another key may do
    if (!VerifyEventSignature(event.json(), server, key_id, *public_key).ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("the signature of ", server, " with ", key_id, " does not verify"));
    }
    ++verified;
  }
  if (verified == 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("no signature of ", server, " with a key valid at the event's time"));
  }
  return absl::OkStatus();
}

PduAuthResult Result(PduOutcome outcome, absl::Status reason = absl::OkStatus()) {
  return PduAuthResult{outcome, std::move(reason)};
}

}  // namespace

absl::StatusOr<CheckedPdu> CheckPduFormatAndSignatures(const nlohmann::json& pdu,
                                                       ServerKeySource& keys) {
  ASSIGN_OR_RETURN(Event event, Event::FromJson(pdu));
  ASSIGN_OR_RETURN(const std::set<std::string> signers, RequiredSigners(event));
  for (const std::string& server : signers) {
    RETURN_IF_ERROR(CheckSignaturesOf(event, server, keys));
  }
  const absl::Status hash = VerifyContentHash(event.json());
  if (hash.ok()) return CheckedPdu{std::move(event), false};
  if (!absl::IsDataLoss(hash)) return absl::InvalidArgumentError(hash.message());
  // The signature covers the redacted event: keep that much.
  ASSIGN_OR_RETURN(Json redacted, RedactEvent(event.json()));
  ASSIGN_OR_RETURN(Event stripped, Event::FromJson(std::move(redacted)));
  return CheckedPdu{std::move(stripped), true};
}

absl::StatusOr<PduAuthResult> AuthorizePdu(const Event& event, const EventSource& events,
                                           const StateMap& state_before,
                                           const StateMap& current_state) {
  std::vector<Event> auth_events;
  for (const std::string& id : event.auth_events()) {
    const Event* auth_event = events.Find(id);
    if (auth_event == nullptr) return absl::NotFoundError(absl::StrCat("unknown auth event ", id));
    if (events.IsRejected(id)) {
      return Result(PduOutcome::kRejected,
                    absl::PermissionDeniedError(absl::StrCat("auth event ", id, " was rejected")));
    }
    auth_events.push_back(*auth_event);
  }
  absl::StatusOr<AuthState> by_auth_events = AuthStateFromAuthEvents(event, auth_events);
  if (!by_auth_events.ok()) return Result(PduOutcome::kRejected, by_auth_events.status());
  if (absl::Status status = Authorize(event, *by_auth_events); !status.ok()) {
    return Result(PduOutcome::kRejected, status);
  }
  if (absl::Status status = Authorize(event, state_before); !status.ok()) {
    return Result(PduOutcome::kRejected, status);
  }
  if (absl::Status status = Authorize(event, current_state); !status.ok()) {
    return Result(PduOutcome::kSoftFailed, status);
  }
  return Result(PduOutcome::kAccepted);
}

}  // namespace messenger::matrix
