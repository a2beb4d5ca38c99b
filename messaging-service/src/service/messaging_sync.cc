// The /v1 sync reads of MessagingManager: one user's read, and the batched
// read of woken long polls (SyncReadBatcher).
#include <utility>

#include "common/crypto.h"
#include "common/status.h"
#include "common/status_mapping.h"
#include "common/text.h"
#include "messaging-service/src/service/messaging_manager.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<std::string> SyncUser(const std::string& raw) {
  if (!IsUuid(raw)) return absl::InvalidArgumentError("user ids are UUIDs");
  return text::ToLowerAscii(raw);
}

}  // namespace

absl::StatusOr<SyncBatch> MessagingManager::SyncOnce(const std::string& user_id, int64_t since) {
  ASSIGN_OR_RETURN(std::string user, SyncUser(user_id));
  WakeLog& log = announcer_.log();
  const SyncKey from = FromWire(since);
  if (!log.MayHaveAfter(user, from)) {
    SyncBatch batch;
    batch.next = since;  // only a read moves a token: nothing is skipped
    return batch;
  }
  const uint64_t ticket = log.ReadStarting();
  ASSIGN_OR_RETURN(SyncPage page, store_.SyncRows(user, from, kSyncPageRows));
  return SyncAfterRead(user, from, ticket, std::move(page));
}

std::optional<absl::StatusOr<SyncBatch>> MessagingManager::SyncOnceAsync(const std::string& user_id,
                                                                         int64_t since,
                                                                         SyncDone done) {
  absl::StatusOr<std::string> user = SyncUser(user_id);
  if (!user.ok()) return absl::StatusOr<SyncBatch>(user.status());
  WakeLog& log = announcer_.log();
  const SyncKey from = FromWire(since);
  if (!log.MayHaveAfter(*user, from)) {
    SyncBatch batch;
    batch.next = since;
    return absl::StatusOr<SyncBatch>(std::move(batch));
  }
  // The ticket before queueing: the read starts later, which only bounds
  // less than it could.
  const uint64_t ticket = log.ReadStarting();
  const bool queued = sync_reads_.Submit(
      {*user, from}, [this, user = *user, from, ticket, done](absl::StatusOr<SyncPage> page) {
        if (!page.ok()) return done(page.status());
        done(SyncAfterRead(user, from, ticket, std::move(*page)));
      });
  if (!queued) {
    return absl::StatusOr<SyncBatch>(
        RetryLaterError("too many sync reads are waiting", absl::Seconds(1)));
  }
  return std::nullopt;
}

SyncBatch MessagingManager::SyncAfterRead(const std::string& user, SyncKey from, uint64_t ticket,
                                          SyncPage page) {
  WakeLog& log = announcer_.log();
  log.ReadDone(user, ticket, page.horizon, page.xmax);
  std::optional<SyncKey> last;
  if (!page.rows.empty()) last = page.rows.back().key();
  const SyncKey next = NextKey(from, last, page.full, page.horizon);
  SyncBatch batch;
  batch.next = ToWire(next);
  batch.rows = std::move(page.rows);
  batch.notes = std::move(page.notes);
  // More rows, or a commit heard for this user still above the horizon.
  batch.lagging = page.full || log.MayHaveAfter(user, next);
  return batch;
}

}  // namespace messenger::messaging
