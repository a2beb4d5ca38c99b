#pragma once

#include "common/bus/outbox.h"
#include "common/pg/pg.h"
#include "session-service/src/storage/session_store.h"

namespace messenger::session {

class PgSessionStore final : public SessionStore {
 public:
  PgSessionStore(pg::Pool& pool, const bus::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::Status Create(const NewSession& session, const bus::Event& created,
                      const RevokedEventFactory& replaced) override;
  absl::StatusOr<ValidToken> Validate(const std::string& access_hash, absl::Time now) override;
  absl::StatusOr<std::optional<RefreshOutcome>> Refresh(const std::string& refresh_hash,
                                                        const IssuedToken& access,
                                                        const IssuedToken& refresh, absl::Time now,
                                                        const RevokedEventFactory& revoked) override;
  absl::Status Revoke(const std::string& session_id, const std::string& user_id,
                      RevokeReason reason, absl::Time now, const bus::Event& revoked) override;
  absl::Status Rename(const std::string& session_id, const std::string& user_id,
                      const std::string& device_name, absl::Time now) override;
  absl::StatusOr<std::vector<std::string>> RevokeAllExcept(
      const std::string& user_id, const std::string& except_session_id, RevokeReason reason,
      absl::Time now, const RevokedEventFactory& revoked) override;
  absl::StatusOr<std::vector<SessionInfo>> ListActive(const std::string& user_id,
                                                      absl::Time now) override;
  absl::StatusOr<int64_t> DeleteExpiredTokens(absl::Time before) override;

 private:
  pg::Pool& pool_;
  const bus::Outbox& outbox_;
};

}  // namespace messenger::session
