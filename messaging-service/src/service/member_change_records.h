// What a group member change records beside its Matrix event, in the same
// transaction, whichever API made it (/v1 groups or Matrix membership): the
// bus event and the personal sync notice of the member whose room set
// changed. The notice for the other members (InsertRoomNotices) is the
// caller's, since a batch of adds writes it once.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

absl::Status RecordMemberAdded(MessagingTx& tx, const std::string& room_id,
                               const std::string& user, const std::string& by, absl::Time at,
                               const Clock& clock, Rng& rng);
// The same for many users, with one statement per table (issue 15).
absl::Status RecordMembersAdded(MessagingTx& tx, const std::string& room_id,
                                const std::vector<std::string>& users, const std::string& by,
                                absl::Time at, const Clock& clock, Rng& rng);
// `reason`: "left" or "removed".
absl::Status RecordMemberRemoved(MessagingTx& tx, const std::string& room_id,
                                 const std::string& user, const std::string& by,
                                 const std::string& reason, absl::Time at, const Clock& clock,
                                 Rng& rng);

}  // namespace messenger::messaging
