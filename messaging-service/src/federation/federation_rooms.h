// Rooms over federation (issue 16): the reading routes (event, state,
// state_ids, backfill, get_missing_events) for servers with a member joined,
// make_join/send_join into a local public room, make_leave/send_leave out of
// a local room, and PUT /send with its PDUs
// entering rooms through RoomWriter::WriteRemoteEvent. Every call
// authenticates the X-Matrix request first. Answers are the spec's bodies.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/src/domain/matrix/remote_pdu.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/federation/federation_room_store.h"
#include "messaging-service/src/federation/federation_store.h"
#include "messaging-service/src/federation/missing_events.h"
#include "messaging-service/src/federation/remote_direct_policy.h"
#include "messaging-service/src/federation/request_authenticator.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "messaging-service/src/writer/room_writer.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

// Bounds of the reading routes: pages and the auth chains they carry.
inline constexpr int kMaxBackfill = 100;
inline constexpr int kMaxMissingEvents = 50;
inline constexpr size_t kMaxAuthChain = 5000;
// get_missing_events calls one incoming transaction may make to its origin
// (each at most kMaxMissingEvents events): a gap longer than that stays
// refused, and the origin resends.
inline constexpr int kMaxGapFetchesPerTransaction = 2;
// A forked event's states are read before the room's lock; when the room
// moved meanwhile they are read again, at most this many times in all.
inline constexpr int kForkReadAttempts = 3;

// The parameters of one route (path and query, decoded).
struct RoomRoute {
  std::string room_id;
  std::string event_id;
  std::string user_id;
  std::string txn_id;
  std::string at_event_id;                 // /state, /state_ids: ?event_id=
  std::vector<std::string> backfill_from;  // /backfill: ?v=
  int limit = 0;                           // /backfill: ?limit=
  std::vector<std::string> room_versions;  // /make_join: ?ver=
};

// How long a remote user's typing notice lasts (the m.typing EDU has no
// timeout; it is refreshed by the typer's server).
inline constexpr absl::Duration kRemoteTypingTimeout = absl::Seconds(30);
// The m.read receipts taken from one m.receipt EDU (the rest are dropped).
inline constexpr int kMaxReceiptsPerEdu = 100;

class FederationRooms {
 public:
  // Where m.typing EDUs go: (user UUID, room, typing, timeout).
  using TypingSink =
      std::function<absl::Status(const std::string&, const std::string&, bool, absl::Duration)>;
  FederationRooms(RequestAuthenticator& auth, matrix::ServerKeySource& keys, FederationStore& txns,
                  FederationRoomStore& store, messaging::MessagingStore& messaging,
                  messaging::RoomWriter& writer, std::string server_name, const Clock& clock)
      : auth_(auth),
        keys_(keys),
        txns_(txns),
        store_(store),
        messaging_(messaging),
        writer_(writer),
        server_name_(std::move(server_name)),
        clock_(clock) {}

  absl::StatusOr<nlohmann::json> GetEvent(const InboundRequest& request, const RoomRoute& route);
  absl::StatusOr<nlohmann::json> GetState(const InboundRequest& request, const RoomRoute& route) {
    return State(request, route, false);
  }
  absl::StatusOr<nlohmann::json> GetStateIds(const InboundRequest& request,
                                             const RoomRoute& route) {
    return State(request, route, true);
  }
  absl::StatusOr<nlohmann::json> Backfill(const InboundRequest& request, const RoomRoute& route);
  absl::StatusOr<nlohmann::json> GetMissingEvents(const InboundRequest& request,
                                                  const RoomRoute& route);
  absl::StatusOr<nlohmann::json> MakeJoin(const InboundRequest& request, const RoomRoute& route);
  absl::StatusOr<nlohmann::json> SendJoin(const InboundRequest& request, const RoomRoute& route);
  // federation_leave.cc: a remote user of the requesting server leaves (or
  // declines an invite to) a local room it is joined or invited to.
  absl::StatusOr<nlohmann::json> MakeLeave(const InboundRequest& request, const RoomRoute& route);
  absl::StatusOr<nlohmann::json> SendLeave(const InboundRequest& request, const RoomRoute& route);
  // federation_invite.cc: PUT /v2/invite, a user of the requesting server
  // invites a local user; answers {"event": the invite with our signature}.
  // FailedPrecondition only for a room version other than 10.
  absl::StatusOr<nlohmann::json> Invite(const InboundRequest& request, const RoomRoute& route);
  // Signs the invites this server accepts (without one, Invite is Unavailable).
  void SetSigningKey(matrix::Ed25519Key key) { signing_key_ = std::move(key); }
  void SetTypingSink(TypingSink typing) { typing_ = std::move(typing); }
  // Where other EDUs of a transaction go, by edu_type (origin, content):
  // hints, whose failures are the EDU's only (fede2ee: to-device, device lists),
  // except UNAVAILABLE, which fails the transaction (503: the origin retries).
  using EduSink = std::function<absl::Status(const std::string&, const nlohmann::json&)>;
  void SetEduSink(const std::string& edu_type, EduSink sink) {
    edu_sinks_[edu_type] = std::move(sink);
  }
  // Without one, an event after unknown prev_events is refused as it is.
  void SetMissingEventsFetch(MissingEventsFetch fetch) { fetch_missing_ = std::move(fetch); }
  // The contact policy of direct rooms across servers (remote_direct_policy.h);
  // without it, direct invites are refused and direct rooms read-only.
  void SetFriendsCheck(FriendsCheck friends) { friends_ = std::move(friends); }
  // Runs once an invite into a direct room was taken (its stub written, the
  // answer not yet sent), so that the invitee joins: /v1 keeps friends
  // joined. (room id, local user UUID, its Matrix id, inviting server, the
  // pair's key, whose room may have changed: glare).
  using DirectInviteTaken = std::function<void(
      const std::string& room_id, const std::string& user_id, const std::string& matrix_user_id,
      const std::string& origin, const std::string& direct_key)>;
  void SetDirectInviteTaken(DirectInviteTaken taken) { direct_taken_ = std::move(taken); }

  // Idempotent per (origin, txn_id): a retry gets the kept answer.
  absl::StatusOr<nlohmann::json> SendTransaction(const InboundRequest& request,
                                                 const RoomRoute& route);

 private:
  // make_join/send_join: PERMISSION_DENIED unless the room is public or
  // `user_id` is invited to it.
  static absl::Status MayJoinFromAfar(const matrix::StateMap& state, const std::string& user_id);
  // PERMISSION_DENIED when the room's m.room.server_acl denies `origin`.
  static absl::Status CheckAcl(const matrix::StateMap& state, const std::string& origin);
  // Whether the ACL lets `origin` send EDUs about the room (`memo`: rooms
  // already looked at in this transaction).
  bool EduAllowed(const std::string& origin, const std::string& room_id,
                  std::map<std::string, bool>& memo);
  // Whether `origin` may read the room: the ACL allows it and a member is
  // joined (or the room is world_readable).
  absl::Status MayRead(const std::string& origin, const std::string& room_id);
  // The authenticated origin, when it may read the room.
  absl::StatusOr<std::string> ReadAccess(const InboundRequest& request, const std::string& room_id);
  absl::StatusOr<nlohmann::json> State(const InboundRequest& request, const RoomRoute& route,
                                       bool ids_only);
  absl::StatusOr<matrix::StateMap> CurrentState(const std::string& room_id);
  // make_join/make_leave: the authenticated origin, `route.user_id` one of its users.
  absl::StatusOr<std::string> RequestingUser(const InboundRequest& request,
                                             const RoomRoute& route);
  // The unsigned template of `route.user_id`'s `membership` after the room's
  // latest event.
  nlohmann::json MembershipTemplate(const RoomRoute& route, const messaging::RoomRow& row,
                                    matrix::StateMap state, const std::string& membership);
  // send_join/send_leave: the origin and the checked body, the `membership`
  // of its sender, a user of the origin, for the route's room and event id.
  absl::StatusOr<std::pair<std::string, matrix::Event>> MembershipPdu(
      const InboundRequest& request, const RoomRoute& route, const std::string& membership);
  absl::StatusOr<std::vector<matrix::Event>> Events(const std::vector<std::string>& ids);
  // The auth events of `events`, recursively (bounded by kMaxAuthChain).
  absl::StatusOr<std::vector<matrix::Event>> AuthChain(const std::vector<matrix::Event>& events);
  // The room state before `event`: after its prev event, or the resolution
  // of the states after its prev events.
  absl::StatusOr<std::vector<matrix::Event>> StateBefore(const matrix::Event& event);
  // Soft-failed events (V063) by id: the state group of the state after each.
  using SoftFailedGroups = std::map<std::string, int64_t>;
  // Keeps an event the decision soft-failed, with the state after it.
  absl::Status KeepSoftFailed(const std::string& origin, const matrix::Event& event,
                              const matrix::RemotePduDecision& decision);
  // What the write of an event that forks the room reads before the room's
  // lock (federation_forks.cc); the write reads again when the room's
  // forward extremities moved meanwhile.
  struct ForkReads {
    std::vector<std::string> extremities;  // the room's, when read
    // After the event's prev events and the extremities it does not name.
    matrix::StatesAfter after;
    std::map<std::string, std::string> member_ids;  // Matrix user id -> UUID
    SoftFailedGroups soft_failed;  // of the events in the source
    // A message after one event: the state group after that event.
    std::optional<int64_t> prev_state_group;
  };
  // The states after the events `at` into `after`, and their events, the
  // events `more` and all their auth chains into `source` (bounded by
  // matrix::kMaxResolutionEvents); the soft-failed ones among them into
  // `soft_failed` when given.
  absl::Status LoadStatesAfter(const std::vector<std::string>& at,
                               const std::vector<std::string>& more, matrix::StatesAfter& after,
                               matrix::EventMapSource& source,
                               SoftFailedGroups* soft_failed = nullptr);
  // `soft_failed`: those of the events already in `source`.
  absl::StatusOr<ForkReads> ReadFork(const matrix::Event& event, const messaging::RoomRow& row,
                                     matrix::EventMapSource& source,
                                     const SoftFailedGroups& soft_failed);
  // Under the room's lock: `decision` on the forked event and, when it
  // applies, how it is written.
  absl::StatusOr<messaging::RoomWriter::ForkedWrite> PlanFork(
      const std::string& origin, const matrix::Event& event, const matrix::Room& room,
      const ForkReads& reads, matrix::EventMapSource& source, matrix::RemotePduDecision& decision);
  // PlanFork with the reads made before the lock, or ABORTED (read again)
  // when the room moved since in a way they do not cover.
  absl::StatusOr<messaging::RoomWriter::ForkedWrite> PlanForkUnderLock(
      const std::string& origin, const matrix::Event& event, const matrix::Room& room,
      const std::optional<ForkReads>& fork, matrix::EventMapSource& source,
      matrix::RemotePduDecision& decision);
  // Invite's write when this server is not in the room: a stub holding the
  // invite (for a direct room, the pair's one, or one of two under glare).
  absl::StatusOr<nlohmann::json> TakeAsStub(const std::string& origin, const RoomRoute& route,
                                            const nlohmann::json& invite_state,
                                            const matrix::Event& invite,
                                            const nlohmann::json& signed_event,
                                            const std::string& local_id,
                                            const std::optional<std::string>& direct_key);
  // Checks an event `origin` sent and applies or rejects it; `missing` gets
  // the prev_events it was refused for not knowing; `forward`: see
  // RoomWriter::RemoteWrite.
  absl::Status Ingest(const std::string& origin, const matrix::Event& event,
                      std::vector<std::string>* missing = nullptr, bool forward = false);
  // Ingest, and when prev_events are unknown, fetch the gap from the origin
  // (while `fetches_left`), apply it oldest first and try again.
  absl::Status IngestFillingGap(const std::string& origin, const matrix::Event& event,
                                int& fetches_left);
  nlohmann::json Envelope(nlohmann::json pdus) const;
  // An m.typing EDU of `origin` for one of its users (others are ignored).
  void Typing(const std::string& origin, const nlohmann::json& content,
              std::map<std::string, bool>& acl_memo);
  // An m.receipt EDU of `origin` (federation_receipts.cc): its users' m.read
  // markers move, in rooms whose ACL allows `origin`; the rest is ignored.
  void Receipts(const std::string& origin, const nlohmann::json& content,
                std::map<std::string, bool>& acl_memo);
  absl::Status Receipt(const std::string& origin, const std::string& room_id,
                       const std::string& user_id, const nlohmann::json& receipt);

  RequestAuthenticator& auth_;
  matrix::ServerKeySource& keys_;
  FederationStore& txns_;
  FederationRoomStore& store_;
  messaging::MessagingStore& messaging_;
  messaging::RoomWriter& writer_;
  std::string server_name_;
  const Clock& clock_;
  TypingSink typing_;
  std::map<std::string, EduSink> edu_sinks_;
  MissingEventsFetch fetch_missing_;
  std::optional<matrix::Ed25519Key> signing_key_;
  FriendsCheck friends_;            // SetFriendsCheck
  DirectInviteTaken direct_taken_;  // SetDirectInviteTaken
};

}  // namespace messenger::federation
