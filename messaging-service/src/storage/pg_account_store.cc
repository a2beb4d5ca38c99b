#include "messaging-service/src/storage/pg_account_store.h"

#include "common/status.h"
#include "messaging-service/src/storage/account_queries.h"

namespace messenger::messaging {
namespace q = account_queries;
namespace {

std::optional<std::string> OptionalText(const pg::Result& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return r.GetString(row, col);
}

// Stored JSON we wrote ourselves; null when it does not parse.
nlohmann::json ParseStored(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  return json.is_discarded() ? nlohmann::json() : json;
}

std::vector<push::StoredRule> RulesFrom(const pg::Result& r) {
  std::vector<push::StoredRule> rules;
  for (int i = 0; i < r.rows(); ++i) {
    push::StoredRule rule;
    rule.kind = r.GetString(i, 0);
    rule.rule_id = r.GetString(i, 1);
    if (!r.IsNull(i, 2)) rule.position = r.GetInt64(i, 2);
    if (!r.IsNull(i, 3)) rule.body = ParseStored(r.Get(i, 3));
    if (!r.IsNull(i, 4)) rule.actions = ParseStored(r.Get(i, 4));
    if (!r.IsNull(i, 5)) rule.enabled = r.GetBool(i, 5);
    rules.push_back(std::move(rule));
  }
  return rules;
}

class PgAccountTx final : public AccountTx {
 public:
  explicit PgAccountTx(pg::Tx& tx) : tx_(tx) {}
  pg::Tx& tx() override { return tx_; }

  absl::StatusOr<int64_t> PutAccountData(const std::string& user_id, const std::string& room_id,
                                         const std::string& type,
                                         const std::string& content) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(q::kNextVersion, {user_id}));
    const int64_t version = r.GetInt64(0, 0);
    RETURN_IF_ERROR(
        tx_.Exec(q::kPutAccountData, {user_id, room_id, type, content, version}).status());
    return version;
  }

  absl::StatusOr<std::vector<push::StoredRule>> LockPushRules(const std::string& user_id) override {
    RETURN_IF_ERROR(tx_.Exec(q::kLockUser, {user_id}).status());
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(q::kPushRules, {user_id}));
    return RulesFrom(r);
  }

  absl::Status PutPushRule(const std::string& user_id, const push::StoredRule& rule) override {
    std::optional<std::string> body, actions;
    if (!rule.body.is_null()) body = rule.body.dump();
    if (rule.actions) actions = rule.actions->dump();
    return tx_
        .Exec(q::kPutPushRule,
              {user_id, rule.kind, rule.rule_id, rule.position, body, actions, rule.enabled})
        .status();
  }

  absl::StatusOr<bool> DeletePushRule(const std::string& user_id, const std::string& kind,
                                      const std::string& rule_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(q::kDeletePushRule, {user_id, kind, rule_id}));
    return r.affected() > 0;
  }

  absl::StatusOr<bool> InsertAlias(const AliasRow& row, absl::Time at) override {
    ASSIGN_OR_RETURN(pg::Result r,
                     tx_.Exec(q::kInsertAlias, {row.alias, row.room_id, row.creator, at}));
    return r.affected() > 0;
  }

  absl::StatusOr<bool> DeleteAlias(const std::string& alias) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(q::kDeleteAlias, {alias}));
    return r.affected() > 0;
  }

  absl::Status SetPublished(const std::string& room_id, bool published, absl::Time at) override {
    if (published) return tx_.Exec(q::kPublish, {room_id, at}).status();
    return tx_.Exec(q::kUnpublish, {room_id}).status();
  }

  absl::Status QueueProfileUpdate(const ProfileUpdateJob& job) override {
    return tx_.Exec(q::kQueueProfileUpdate, {job.user_id, job.displayname, job.avatar_url})
        .status();
  }

  absl::Status SaveProfile(const ProfileUpdateJob& job) override {
    return tx_.Exec(q::kSaveProfile, {job.user_id, job.displayname, job.avatar_url}).status();
  }

 private:
  pg::Tx& tx_;
};

}  // namespace

absl::Status PgAccountStore::Transaction(const std::function<absl::Status(AccountTx&)>& fn) {
  return pool_.Transaction([&](pg::Tx& tx) {
    PgAccountTx account(tx);
    return fn(account);
  });
}

std::unique_ptr<AccountTx> PgAccountStore::Within(pg::Tx& tx) {
  return std::make_unique<PgAccountTx>(tx);
}

absl::StatusOr<std::optional<std::string>> PgAccountStore::GetAccountData(
    const std::string& user_id, const std::string& room_id, const std::string& type) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kGetAccountData, {user_id, room_id, type}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<AccountDataChanges> PgAccountStore::AccountDataSince(const std::string& user_id,
                                                                    int64_t since, int limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kAccountDataSince, {user_id, since, limit}));
  AccountDataChanges out;
  for (int i = 0; i < r.rows(); ++i) {
    if (r.IsNull(i, 0)) {  // the totals row, last
      out.version = r.GetInt64(i, 4);
      out.direct_rooms = r.GetInt64(i, 5);
      continue;
    }
    out.rows.push_back(
        {r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), r.GetInt64(i, 3)});
  }
  return out;
}

absl::StatusOr<std::vector<push::StoredRule>> PgAccountStore::PushRules(
    const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kPushRules, {user_id}));
  return RulesFrom(r);
}

absl::StatusOr<std::vector<DirectRoomRow>> PgAccountStore::DirectRooms(const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kDirectRooms, {user_id}));
  std::vector<DirectRoomRow> rows;
  for (int i = 0; i < r.rows(); ++i) rows.push_back({r.GetString(i, 0), r.GetString(i, 1)});
  return rows;
}

absl::StatusOr<std::optional<AliasRow>> PgAccountStore::FindAlias(const std::string& alias) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kFindAlias, {alias}));
  if (r.rows() == 0) return std::nullopt;
  return AliasRow{r.GetString(0, 0), r.GetString(0, 1), r.GetString(0, 2)};
}

absl::StatusOr<std::vector<std::string>> PgAccountStore::AliasesOf(const std::string& room_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kAliasesOf, {room_id}));
  std::vector<std::string> aliases;
  for (int i = 0; i < r.rows(); ++i) aliases.push_back(r.GetString(i, 0));
  return aliases;
}

absl::StatusOr<bool> PgAccountStore::IsPublished(const std::string& room_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kIsPublished, {room_id}));
  return r.rows() > 0;
}

absl::StatusOr<PublicRoomsPage> PgAccountStore::PublicRooms(int64_t offset, int limit,
                                                            const std::string& search) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kPublicRooms, {offset, limit, search}));
  PublicRoomsPage page;
  for (int i = 0; i < r.rows(); ++i) {
    PublicRoomRow row;
    row.room_id = r.GetString(i, 0);
    row.name = OptionalText(r, i, 1);
    row.topic = OptionalText(r, i, 2);
    row.canonical_alias = OptionalText(r, i, 3);
    row.avatar_url = OptionalText(r, i, 4);
    row.join_rule = r.GetString(i, 5);
    row.history_visibility = OptionalText(r, i, 6);
    row.joined_members = r.GetInt64(i, 7);
    page.total = r.GetInt64(i, 8);
    page.rooms.push_back(std::move(row));
  }
  return page;
}

absl::StatusOr<std::optional<ProfileUpdateJob>> PgAccountStore::NextProfileUpdate() {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kNextProfileUpdate));
  if (r.rows() == 0) return std::nullopt;
  return ProfileUpdateJob{r.GetString(0, 0), OptionalText(r, 0, 1), OptionalText(r, 0, 2),
                          r.GetString(0, 3), r.GetInt64(0, 4)};
}

absl::StatusOr<std::vector<std::string>> PgAccountStore::JoinedRoomsAfter(
    const std::string& user_id, const std::string& after, int limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kJoinedRoomsAfter, {user_id, after, limit}));
  std::vector<std::string> rooms;
  for (int i = 0; i < r.rows(); ++i) rooms.push_back(r.GetString(i, 0));
  return rooms;
}

absl::Status PgAccountStore::ProfileUpdateProgress(const std::string& user_id, int64_t revision,
                                                   const std::string& after_room, bool done) {
  if (done) return pool_.Exec(q::kProfileDone, {user_id, revision}).status();
  return pool_.Exec(q::kProfileProgress, {user_id, revision, after_room}).status();
}

}  // namespace messenger::messaging
