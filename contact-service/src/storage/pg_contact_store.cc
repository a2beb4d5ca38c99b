#include "contact-service/src/storage/pg_contact_store.h"

#include "absl/strings/str_join.h"
#include "common/status.h"
#include "contact-service/src/storage/queries.h"

namespace messenger::contact {
namespace {

std::pair<std::string, std::string> Ordered(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

}  // namespace

absl::StatusOr<std::optional<StoredUser>> PgContactStore::FindUser(const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kFindUser, {user_id}));
  if (r.rows() == 0) return std::nullopt;
  return StoredUser{r.IsNull(0, 0) ? "" : r.GetString(0, 0)};
}

absl::StatusOr<std::optional<std::string>> PgContactStore::LocalUserId(
    const std::string& username) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kLocalUserId, {username}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::Status PgContactStore::AddRemoteUser(const std::string& user_id,
                                           const std::string& matrix_id, absl::Time now) {
  return pool_.Exec(queries::kAddRemoteUser, {user_id, matrix_id, now}).status();
}

absl::StatusOr<Transition> PgContactStore::Apply(
    const std::string& actor, const std::string& other, absl::Time now,
    const std::function<absl::StatusOr<Transition>(const PairState&)>& decide,
    const TransitionEventFactory& event) {
  const auto [low, high] = Ordered(actor, other);
  Transition result;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Exec(queries::kLockPair, {low, high}).status());
    PairState state;
    ASSIGN_OR_RETURN(pg::Result relation, tx.Exec(queries::kGetRelation, {low, high}));
    if (relation.rows() > 0) {
      if (relation.Get(0, 0) == "friends") {
        state.link = Link::kFriends;
      } else {
        state.link = relation.Get(0, 1) == actor ? Link::kOutgoing : Link::kIncoming;
      }
    }
    ASSIGN_OR_RETURN(pg::Result blocks, tx.Exec(queries::kGetBlocks, {actor, other}));
    for (int i = 0; i < blocks.rows(); ++i) {
      (blocks.Get(i, 0) == actor ? state.a_blocks_b : state.b_blocks_a) = true;
    }
    ASSIGN_OR_RETURN(result, decide(state));
    const PairState& next = result.next;
    if (next.link != state.link) {
      switch (next.link) {
        case Link::kNone:
          RETURN_IF_ERROR(tx.Exec(queries::kDeleteRelation, {low, high}).status());
          break;
        case Link::kOutgoing:
          RETURN_IF_ERROR(tx.Exec(queries::kPutPending, {low, high, actor, now}).status());
          break;
        case Link::kIncoming:
          RETURN_IF_ERROR(tx.Exec(queries::kPutPending, {low, high, other, now}).status());
          break;
        case Link::kFriends:
          RETURN_IF_ERROR(tx.Exec(queries::kPutFriends, {low, high, actor, now}).status());
          break;
      }
    }
    if (next.a_blocks_b != state.a_blocks_b) {
      RETURN_IF_ERROR(tx.Exec(next.a_blocks_b ? queries::kPutBlock : queries::kDeleteBlock,
                              next.a_blocks_b ? std::vector<pg::Param>{actor, other, now}
                                              : std::vector<pg::Param>{actor, other})
                          .status());
    }
    ASSIGN_OR_RETURN(std::optional<bus::Event> emitted, event(result));
    if (emitted) RETURN_IF_ERROR(outbox_.Enqueue(tx, *emitted));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<Contact>> PgContactStore::ListFriends(const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kListFriends, {user_id}));
  std::vector<Contact> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), r.GetTime(i, 1), r.IsNull(i, 2) ? "" : r.GetString(i, 2)});
  }
  return out;
}

absl::StatusOr<PendingRequests> PgContactStore::ListRequests(const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kListPending, {user_id}));
  PendingRequests out;
  for (int i = 0; i < r.rows(); ++i) {
    (r.GetBool(i, 1) ? out.outgoing : out.incoming)
        .push_back({r.GetString(i, 0), r.GetTime(i, 2), r.IsNull(i, 3) ? "" : r.GetString(i, 3)});
  }
  return out;
}

absl::StatusOr<bool> PgContactStore::AreFriends(const std::string& a, const std::string& b) {
  const auto [low, high] = Ordered(a, b);
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kAreFriends, {low, high}));
  return r.rows() > 0;
}

absl::StatusOr<std::vector<bool>> PgContactStore::AreFriends(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<bool> out(pairs.size(), false);
  if (pairs.empty()) return out;
  std::vector<std::string> lows, highs;
  for (const auto& [a, b] : pairs) {
    const auto [low, high] = Ordered(a, b);
    lows.push_back(low);
    highs.push_back(high);
  }
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(queries::kFriendPairs, {"{" + absl::StrJoin(lows, ",") + "}",
                                                      "{" + absl::StrJoin(highs, ",") + "}"}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetInt64(i, 0) - 1] = true;
  return out;
}

absl::Status PgContactStore::AddUserIfMissing(const std::string& user_id,
                                              const std::string& username, absl::Time created_at) {
  return pool_.Exec(queries::kAddUser, {user_id, username, created_at}).status();
}

absl::Status PgContactStore::AddUser(pg::Tx& tx, const std::string& user_id,
                                     const std::string& username, absl::Time created_at) {
  return tx.Exec(queries::kAddUser, {user_id, username, created_at}).status();
}

absl::Status PgContactStore::RemoveUser(
    pg::Tx& tx, const std::string& user_id,
    const std::function<absl::StatusOr<bus::Event>(const Contact& other)>& removed) {
  ASSIGN_OR_RETURN(pg::Result ended, tx.Exec(queries::kRemoveUserRelations, {user_id}));
  for (int i = 0; i < ended.rows(); ++i) {
    ASSIGN_OR_RETURN(bus::Event event, removed({ended.GetString(i, 0), absl::InfinitePast(),
                                                ended.IsNull(i, 1) ? "" : ended.GetString(i, 1)}));
    RETURN_IF_ERROR(outbox_.Enqueue(tx, event));
  }
  RETURN_IF_ERROR(tx.Exec(queries::kRemoveUserBlocks, {user_id}).status());
  return tx.Exec(queries::kCloseUser, {user_id}).status();
}

}  // namespace messenger::contact
