#pragma once

#include "common/bus/outbox.h"
#include "contact-service/src/storage/contact_store.h"

namespace messenger::contact {

class PgContactStore final : public ContactStore {
 public:
  PgContactStore(pg::Pool& pool, const bus::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::StatusOr<std::optional<StoredUser>> FindUser(const std::string& user_id) override;
  absl::StatusOr<std::optional<std::string>> LocalUserId(const std::string& username) override;
  absl::Status AddRemoteUser(const std::string& user_id, const std::string& matrix_id,
                             absl::Time now) override;
  absl::StatusOr<Transition> Apply(
      const std::string& actor, const std::string& other, absl::Time now,
      const std::function<absl::StatusOr<Transition>(const PairState&)>& decide,
      const TransitionEventFactory& event) override;
  absl::StatusOr<std::vector<Contact>> ListFriends(const std::string& user_id) override;
  absl::StatusOr<PendingRequests> ListRequests(const std::string& user_id) override;
  absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b) override;
  absl::StatusOr<std::vector<bool>> AreFriends(
      const std::vector<std::pair<std::string, std::string>>& pairs) override;
  absl::Status AddUserIfMissing(const std::string& user_id, const std::string& username,
                                absl::Time created_at) override;
  absl::Status AddUser(pg::Tx& tx, const std::string& user_id, const std::string& username,
                       absl::Time created_at) override;
  absl::Status RemoveUser(
      pg::Tx& tx, const std::string& user_id,
      const std::function<absl::StatusOr<bus::Event>(const Contact& other)>& removed) override;

 private:
  pg::Pool& pool_;
  const bus::Outbox& outbox_;
};

}  // namespace messenger::contact
