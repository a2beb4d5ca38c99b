"""Invites between the two homeservers (issue 16, fedinvite), run at the end
of federation_two_servers_test.py's `up` phase, after bob left:

- alice (hs1) invites bob (hs2) back into the room hs2 knows: bob sees the
  invite in /v3/sync on hs2, joins, and a message goes each way;
- alice invites carol (hs2) into it, carol declines (leave on hs2): hs1
  sees carol's leave;
- alice invites dave (hs2) into a new private room hs2 does not know (PUT
  /v2/invite makes an invite-only stub there, with the room's name in
  invite_state); dave declines through hs1 (make_leave/send_leave): hs1
  sees the leave, dave's sync moves the room from invite to leave;
- alice invites erin (hs2) into another new private room; erin joins
  through the inviting server (make_join/send_join on hs1, the stub becomes
  the room) and a message goes each way.
"""
import uuid

from matrix_http import C, account, ok, q, until

INVITE = ("inviting.yaml", "/rooms/{roomId}/invite ")
LEAVE = ("leaving.yaml", "/rooms/{roomId}/leave")
ROOM_JOIN = ("joining.yaml", "/rooms/{roomId}/join")
JOIN = ("joining.yaml", "/join/{roomIdOrAlias}")
MEMBERS = ("rooms.yaml", "/rooms/{roomId}/joined_members")
SYNC = ("sync.yaml", "/sync")
SEND = ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")


def _rooms(m, who, section):
    body = m.call(SYNC, "GET", C + "/sync", token=who["token"]).body
    return body.get("rooms", {}).get(section, {})


def _invited(m, who, room_id):
    return until(f"the invite in {who['user_id']}'s /v3/sync",
                 lambda: _rooms(m, who, "invite").get(room_id), 30)


def _membership(m, who, room_id, user_id):
    r = m.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.member/{q(user_id)}",
              token=who["token"])
    return r.body.get("membership") if r.status == 200 else None


def _message_both_ways(hs1, alice, hs2, user, room_id, tag):
    def texts(m, who):
        body = m.raw("GET", f"{C}/rooms/{q(room_id)}/messages", token=who["token"],
                     query={"dir": "b", "limit": "50"}).body
        return [e["content"].get("body") for e in body.get("chunk", [])
                if e["type"] == "m.room.message"]
    for m, who, other_m, other in ((hs1, alice, hs2, user), (hs2, user, hs1, alice)):
        text = f"{tag} from {who['user_id']}"
        m.call(SEND, "PUT", f"{C}/rooms/{q(room_id)}/send/m.room.message/{uuid.uuid4().hex}",
               {"msgtype": "m.text", "body": text}, token=who["token"])
        until(f"'{text}' on the other server", lambda: text in texts(other_m, other), 30)


def _private_room(hs1, alice, name):
    return hs1.call(("create_room.yaml", "/createRoom"), "POST", C + "/createRoom",
                    {"preset": "private_chat", "name": name}, token=alice["token"]).body["room_id"]


def _invite(hs1, alice, room_id, user):
    hs1.call(INVITE, "POST", f"{C}/rooms/{q(room_id)}/invite", {"user_id": user["user_id"]},
             token=alice["token"])


def _invite_new(hs1, hs2, alice, room_id, name):
    """A new user of hs2, invited by alice; (user, the invite in its sync).
    hs2's messaging learns of an account from user.created on its bus a
    moment after the registration answers; until then it answers an invite
    of it 404, as for an unknown user (the CI met this): asked again."""
    user = account(hs2, name)

    def invited():
        r = hs1.raw("POST", f"{C}/rooms/{q(room_id)}/invite", {"user_id": user["user_id"]},
                    token=alice["token"])
        return None if r.status == 404 else r
    r = until(f"an invite of {user['user_id']} that hs2 knows of", invited, 20)
    ok(r.status == 200 and r.body == {}, f"invite: {r}")
    return user, _invited(hs2, user, room_id)


def invites(hs1, hs2, state):
    alice, bob, room_id = state["alice"], state["bob"], state["room_id"]
    tag = uuid.uuid4().hex[:8]

    # bob, back into the room hs2 knows.
    _invite(hs1, alice, room_id, bob)
    _invited(hs2, bob, room_id)
    hs2.call(ROOM_JOIN, "POST", f"{C}/rooms/{q(room_id)}/join", {}, token=bob["token"])

    def bob_back():
        members = hs1.call(MEMBERS, "GET", f"{C}/rooms/{q(room_id)}/joined_members",
                           token=alice["token"]).body["joined"]
        return bob["user_id"] in members
    until("bob joined again on hs1", bob_back, 30)
    _message_both_ways(hs1, alice, hs2, bob, room_id, "re-invited")

    # carol declines an invite into it.
    carol, _ = _invite_new(hs1, hs2, alice, room_id, "carol" + tag)
    hs2.call(LEAVE, "POST", f"{C}/rooms/{q(room_id)}/leave", {}, token=carol["token"])
    until("carol's leave on hs1",
          lambda: _membership(hs1, alice, room_id, carol["user_id"]) == "leave", 30)

    # Users of hs2 invited to rooms hs2 does not know; refusals first (an
    # unknown user, an unreachable server), nothing written for them.
    private = _private_room(hs1, alice, "invite only " + tag)
    hs1.call(None, "POST", f"{C}/rooms/{q(private)}/invite",
             {"user_id": f"@nobody{tag}:hs2.test"}, token=alice["token"], expect=404,
             errcode="M_NOT_FOUND")
    r = hs1.raw("POST", f"{C}/rooms/{q(private)}/invite", {"user_id": "@x:unreachable.test"},
                token=alice["token"])
    ok(r.status in (502, 503) and r.body["errcode"] == "M_UNKNOWN", f"unreachable: {r}")
    ok(_membership(hs1, alice, private, "@x:unreachable.test") is None,
       "nothing written for a failed invite")

    dave, invite = _invite_new(hs1, hs2, alice, private, "dave" + tag)
    names = [e["content"].get("name") for e in invite["invite_state"]["events"]
             if e["type"] == "m.room.name"]
    ok(names == ["invite only " + tag], f"the room's name in invite_state: {invite}")
    hs2.call(LEAVE, "POST", f"{C}/rooms/{q(private)}/leave", {}, token=dave["token"])
    until("dave's leave on hs1",
          lambda: _membership(hs1, alice, private, dave["user_id"]) == "leave", 30)
    ok(private not in _rooms(hs2, dave, "invite"), "the declined invite is gone")

    # erin accepts an invite into a room hs2 does not know.
    second = _private_room(hs1, alice, "accepted " + tag)
    erin, _ = _invite_new(hs1, hs2, alice, second, "erin" + tag)
    hs2.call(JOIN, "POST", f"{C}/join/{q(second)}", {}, token=erin["token"])
    until("erin joined on hs1",
          lambda: _membership(hs1, alice, second, erin["user_id"]) == "join", 30)
    ok(second in _rooms(hs2, erin, "join"), "erin's sync has the room joined")
    _message_both_ways(hs1, alice, hs2, erin, second, "accepted")
