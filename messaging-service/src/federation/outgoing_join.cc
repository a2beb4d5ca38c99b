#include "messaging-service/src/federation/outgoing_join.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/join_history.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/remote_join.h"
#include "common/log.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {
namespace {

using Json = nlohmann::json;

}  // namespace

absl::StatusOr<std::optional<std::string>> OutgoingJoin::InvitedBy(
    const RemoteJoinRequest& request) {
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> known, messaging_.GetRoom(request.room_id));
  if (!known) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<std::string> create,
                   store_.CurrentStatePdu(request.room_id, matrix::kCreateType, ""));
  if (create) return absl::AlreadyExistsError("the room is known here: join it locally");
  // A stub of an invite (RoomWriter::WriteInviteStub).
  ASSIGN_OR_RETURN(std::optional<std::string> origin,
                   store_.InviteOrigin(request.room_id, request.user_id));
  if (!origin) return absl::NotFoundError("no invite into this room");
  return origin;
}

absl::StatusOr<std::string> OutgoingJoin::Join(const RemoteJoinRequest& request) {
  if (!matrix::IsValidRoomId(request.room_id)) {
    return absl::InvalidArgumentError("not a valid room id");
  }
  ASSIGN_OR_RETURN(std::string user_server, matrix::ServerNameOf(request.matrix_user_id));
  if (user_server != server_name_) return absl::InvalidArgumentError("not a local user");
  ASSIGN_OR_RETURN(std::optional<std::string> invited_by, InvitedBy(request));
  std::vector<std::string> servers;
  // Invited (fedinvite): the inviting server is in the room.
  if (invited_by) servers.push_back(*invited_by);
  for (const std::string& s : request.servers) {
    if (s.empty() || s == server_name_ || !matrix::IsValidServerName(s)) continue;
    if (std::find(servers.begin(), servers.end(), s) == servers.end()) servers.push_back(s);
  }
  if (servers.empty()) return absl::NotFoundError("no such room");
  if (servers.size() > kMaxJoinServers) servers.resize(kMaxJoinServers);
  absl::Status last;
  for (const std::string& server : servers) {
    absl::StatusOr<std::string> joined = JoinVia(request, server);
    if (joined.ok()) return joined;
    last = joined.status();
  }
  return last;
}

absl::StatusOr<messaging::RoomWriter::RemoteWrite> OutgoingJoin::WriteOf(
    const matrix::Event& event) {
  const auto uuid_of = [&](const std::string& user) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::string server, matrix::ServerNameOf(user));
    if (server != server_name_) return RemoteUserUuid(user);
    ASSIGN_OR_RETURN(std::optional<std::string> local,
                     store_.LocalUserId(user.substr(1, user.find(':') - 1)));
    if (!local) return absl::FailedPreconditionError(absl::StrCat("unknown local user ", user));
    return *local;
  };
  messaging::RoomWriter::RemoteWrite write{event, "", std::nullopt};
  ASSIGN_OR_RETURN(write.sender_id, uuid_of(event.sender()));
  if (event.type() == matrix::kMemberType && event.state_key()) {
    ASSIGN_OR_RETURN(write.member_id, uuid_of(*event.state_key()));
  }
  return write;
}

std::vector<matrix::Event> OutgoingJoin::History(const std::string& server,
                                                 const matrix::Event& join,
                                                 const matrix::JoinedRoom& joined) {
  std::string uri = absl::StrCat("/_matrix/federation/v1/backfill/", QueryEscape(join.room_id()),
                                 "?limit=", matrix::kJoinHistoryLimit);
  for (const std::string& prev : join.prev_events()) absl::StrAppend(&uri, "&v=", QueryEscape(prev));
  absl::StatusOr<Json> answer = JsonAnswer(client_.Request("GET", server, uri, std::nullopt, true),
                                           absl::StrCat("backfill on ", server));
  matrix::EventMapSource known;
  for (const matrix::Event& e : joined.state) known.Add(e);
  for (const matrix::Event& e : joined.auth_chain) known.Add(e);
  absl::StatusOr<matrix::JoinHistory> history =
      answer.ok() ? matrix::CheckJoinHistory(*answer, join.room_id(), known, keys_,
                                             matrix::kJoinHistoryLimit)
                  : answer.status();
  // The join stands without it: later events arrive, only the past is missing.
  if (!history.ok()) {
    log::Warn("joined without history",
              {{"room_id", join.room_id()}, {"error", std::string(history.status().message())}});
    return {};
  }
  if (history->dropped > 0) {
    log::Info("history events dropped at a join",
              {{"room_id", join.room_id()}, {"dropped", std::to_string(history->dropped)}});
  }
  return std::move(history->events);
}

absl::StatusOr<std::string> OutgoingJoin::JoinVia(const RemoteJoinRequest& request,
                                                  const std::string& server) {
  const std::string make_uri =
      absl::StrCat("/_matrix/federation/v1/make_join/", QueryEscape(request.room_id), "/",
                   QueryEscape(request.matrix_user_id), "?ver=", matrix::kRoomVersion);
  ASSIGN_OR_RETURN(Json made, JsonAnswer(client_.Request("GET", server, make_uri, std::nullopt, true),
                                     absl::StrCat("make_join on ", server)));
  ASSIGN_OR_RETURN(matrix::PduFields fields,
                   matrix::JoinFromTemplate(made, request.room_id, request.matrix_user_id,
                                            absl::ToUnixMillis(clock_.Now())));
  ASSIGN_OR_RETURN(matrix::Event join, matrix::BuildPdu(fields, server_name_, key_));
  const std::string send_uri =
      absl::StrCat("/_matrix/federation/v2/send_join/", QueryEscape(request.room_id), "/",
                   QueryEscape(join.event_id()));
  ASSIGN_OR_RETURN(Json sent, JsonAnswer(client_.Request("PUT", server, send_uri, join.json(), true),
                                     absl::StrCat("send_join on ", server)));
  ASSIGN_OR_RETURN(matrix::JoinedRoom joined, matrix::CheckSendJoinAnswer(sent, join, keys_));

  std::vector<messaging::RoomWriter::RemoteWrite> state;
  std::map<std::string, std::string> remote_users;  // uuid -> Matrix id
  const auto note_remote = [&](const std::string& user) {
    absl::StatusOr<std::string> s = matrix::ServerNameOf(user);
    if (s.ok() && *s != server_name_) remote_users[RemoteUserUuid(user)] = user;
  };
  for (const matrix::Event& e : joined.state) {
    ASSIGN_OR_RETURN(messaging::RoomWriter::RemoteWrite write, WriteOf(e));
    note_remote(e.sender());
    if (e.type() == matrix::kMemberType && e.state_key()) note_remote(*e.state_key());
    state.push_back(std::move(write));
  }
  std::vector<messaging::RoomWriter::RemoteWrite> history;
  for (const matrix::Event& e : History(server, join, joined)) {
    absl::StatusOr<messaging::RoomWriter::RemoteWrite> write = WriteOf(e);
    if (!write.ok()) continue;  // e.g. a local user this server no longer has
    note_remote(e.sender());
    if (e.type() == matrix::kMemberType && e.state_key()) note_remote(*e.state_key());
    history.push_back(*std::move(write));
  }
  ASSIGN_OR_RETURN(messaging::RoomWriter::RemoteWrite join_write, WriteOf(join));
  const matrix::Event* create = joined.room.state().create();
  messaging::RoomRow row;
  row.room_id = request.room_id;
  row.kind = "group";
  row.creator = RemoteUserUuid(create->sender());
  row.created_at = clock_.Now();
  ASSIGN_OR_RETURN(messaging::RoomRow written,
                   writer_.ImportRemoteRoom(
                       row, history, state, join_write, joined.room, {request.user_id},
                       [&](messaging::MessagingTx& tx, const std::vector<messaging::StoredEvent>&,
                           const std::vector<std::string>&) -> absl::Status {
                         return store_.AddRemoteUsers(tx.tx(), remote_users);
                       }));
  return written.room_id;
}

}  // namespace messenger::federation
