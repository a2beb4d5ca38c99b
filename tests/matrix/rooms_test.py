"""Matrix client rooms against a running messenger: createRoom (presets,
direct rooms shared with /v1, initial_state, power levels, the contact
policy) and every refusal, each answer validated against the spec's
response schema.

    /usr/bin/python3 rooms_test.py --base http://127.0.0.1:8080

Exit status 0 when every check passes.
"""
import argparse
import sys
import uuid

from matrix_http import C, CREATE, MatrixHttp, account, befriend, ok, until


def conversation(m, who, room_id):
    listed = m.raw("GET", "/v1/conversations", token=who["token"])
    ok(listed.status == 200, f"/v1/conversations: {listed}")
    return next((c for c in listed.body["conversations"] if c["conversation_id"] == room_id),
                None)


def refusals(m, alice, carol):
    t = alice["token"]
    m.call(None, "POST", C + "/createRoom", {}, expect=401, errcode="M_MISSING_TOKEN")
    m.call(None, "POST", C + "/createRoom", {}, token="nope", expect=401,
           errcode="M_UNKNOWN_TOKEN")
    m.call(None, "POST", C + "/createRoom", b"{not json", token=t, expect=400,
           errcode="M_NOT_JSON")
    for body in ({"name": 5}, {"invite": "@x:localhost"}, {"invite": [5]},
                 {"is_direct": "yes"}, {"initial_state": {}},
                 {"power_level_content_override": []}, {"preset": 1}):
        m.call(CREATE, "POST", C + "/createRoom", body, token=t, expect=400,
               errcode="M_BAD_JSON")
    m.call(CREATE, "POST", C + "/createRoom", {"room_version": "1"}, token=t, expect=400,
           errcode="M_UNSUPPORTED_ROOM_VERSION")
    for body in ({"preset": "secret_chat"},
                 {"initial_state": [{"type": "m.room.member", "state_key": "", "content": {}}]},
                 {"initial_state": [{"type": "m.room.topic"}]},
                 {"power_level_content_override": {"ban": "high"}},
                 {"is_direct": True},
                 {"invite": [alice["user_id"]]}):
        m.call(CREATE, "POST", C + "/createRoom", body, token=t, expect=400)
    m.call(None, "POST", C + "/createRoom", {"invite": ["@nobody:localhost"]}, token=t,
           expect=404, errcode="M_NOT_FOUND")
    m.call(CREATE, "POST", C + "/createRoom", {"invite": ["not a user id"]}, token=t,
           expect=400)
    # The contact policy: carol is nobody's friend.
    for body in ({"is_direct": True, "invite": [carol["user_id"]]},
                 {"preset": "private_chat", "invite": [carol["user_id"]]},
                 {"preset": "trusted_private_chat", "invite": [carol["user_id"]]},
                 {"invite": [carol["user_id"]]}):
        refused = m.call(CREATE, "POST", C + "/createRoom", body, token=t, expect=403,
                         errcode="M_FORBIDDEN")
        ok("contact" in refused.body["error"], f"a clear reason: {refused}")


def rooms(m, alice, bob, carol):
    t = alice["token"]
    # A direct room with a friend is the pair's /v1 direct conversation.
    direct = m.call(CREATE, "POST", C + "/createRoom",
                    {"is_direct": True, "preset": "trusted_private_chat",
                     "invite": [bob["user_id"]]}, token=t).body["room_id"]
    ok(direct.startswith("!") and direct.endswith(":localhost"), f"room id: {direct}")
    for who in (alice, bob):
        conv = until("the direct room in /v1", lambda: conversation(m, who, direct))
        ok(conv["type"] == "direct", f"/v1 sees a direct conversation: {conv}")
    sent = m.raw("POST", "/v1/messages", {"to": bob["uuid"], "text": "over /v1",
                                          "client_msg_id": str(uuid.uuid4())}, token=t)
    ok(sent.status in (200, 201) and sent.body["conversation_id"] == direct,
       f"/v1 to the peer writes the Matrix-made direct room: {sent}")
    # Asking again (either side) answers the same room.
    again = m.call(CREATE, "POST", C + "/createRoom",
                   {"is_direct": True, "invite": [alice["user_id"]]},
                   token=bob["token"]).body["room_id"]
    ok(again == direct, f"one direct room per pair: {again} != {direct}")

    # A private group with a friend, with name, topic, initial state, override.
    group = m.call(CREATE, "POST", C + "/createRoom",
                   {"preset": "private_chat", "name": "plans", "topic": "weekend",
                    "invite": [bob["user_id"]],
                    "initial_state": [{"type": "m.room.history_visibility",
                                       "content": {"history_visibility": "joined"}}],
                    "power_level_content_override": {"events_default": 10}},
                   token=t).body["room_id"]
    conv = until("the group in /v1", lambda: conversation(m, alice, group))
    ok(conv["type"] == "group" and conv["name"] == "plans", f"/v1 group: {conv}")
    ok(conversation(m, bob, group) is None, "an invitee has not joined yet")

    # Public rooms follow plain Matrix rules: anyone may be invited.
    public = m.call(CREATE, "POST", C + "/createRoom",
                    {"preset": "public_chat", "invite": [carol["user_id"]]}, token=t)
    ok(public.body["room_id"] not in (direct, group), f"a new room: {public}")
    m.call(CREATE, "POST", C + "/createRoom", {"visibility": "public"}, token=t)
    m.call(CREATE, "POST", "/_matrix/client/r0/createRoom", {}, token=t)
    return direct, group, public.body["room_id"]


def state_and_members(m, alice, bob, carol, direct, group, public):
    t = alice["token"]
    joined = m.call(("list_joined_rooms.yaml", "/joined_rooms"), "GET", C + "/joined_rooms",
                    token=t).body["joined_rooms"]
    ok({direct, group, public} <= set(joined), f"alice's joined rooms: {joined}")
    bobs = m.call(("list_joined_rooms.yaml", "/joined_rooms"), "GET", C + "/joined_rooms",
                  token=bob["token"]).body["joined_rooms"]
    ok(direct in bobs and group not in bobs, f"bob joined the direct room only: {bobs}")

    rooms = "rooms.yaml"
    state = m.call((rooms, "/rooms/{roomId}/state"), "GET", f"{C}/rooms/{group}/state",
                   token=t).body
    by_key = {(e["type"], e["state_key"]): e for e in state}
    ok(by_key[("m.room.name", "")]["content"] == {"name": "plans"}, f"name: {state}")
    ok(by_key[("m.room.history_visibility", "")]["content"]["history_visibility"] == "joined",
       f"initial_state replaced the preset's: {state}")
    ok(by_key[("m.room.join_rules", "")]["content"]["join_rule"] == "invite", f"{state}")
    ok(by_key[("m.room.power_levels", "")]["content"]["events_default"] == 10, f"{state}")
    ok(by_key[("m.room.member", bob["user_id"])]["content"]["membership"] == "invite",
       f"bob invited: {state}")
    for e in state:
        ok(e["room_id"] == group and e["event_id"].startswith("$") and "age" in e["unsigned"],
           f"client format: {e}")
        ok(not ({"hashes", "signatures", "prev_events", "auth_events", "depth"} & set(e)),
           f"no federation fields: {e}")
    one = f"{rooms}", "/rooms/{roomId}/state/{eventType}/{stateKey}"
    topic = m.call(one, "GET", f"{C}/rooms/{group}/state/m.room.topic/", token=t).body
    ok(topic == {"topic": "weekend"}, f"topic: {topic}")
    m.call(one, "GET", f"{C}/rooms/{group}/state/m.room.topic", token=t)
    member = m.call(one, "GET", f"{C}/rooms/{group}/state/m.room.member/{alice['user_id']}",
                    token=t).body
    ok(member["membership"] == "join", f"alice's member event: {member}")
    m.call(one, "GET", f"{C}/rooms/{group}/state/m.room.avatar/", token=t, expect=404,
           errcode="M_NOT_FOUND")

    members = m.call((rooms, "/rooms/{roomId}/members"), "GET", f"{C}/rooms/{group}/members",
                     token=t).body["chunk"]
    ok({e["state_key"] for e in members} == {alice["user_id"], bob["user_id"]}, f"{members}")
    invited = m.call((rooms, "/rooms/{roomId}/members"), "GET", f"{C}/rooms/{group}/members",
                     token=t, query={"membership": "invite"}).body["chunk"]
    ok([e["state_key"] for e in invited] == [bob["user_id"]], f"invited: {invited}")
    not_invited = m.call((rooms, "/rooms/{roomId}/members"), "GET",
                         f"{C}/rooms/{group}/members", token=t,
                         query={"not_membership": "invite"}).body["chunk"]
    ok([e["state_key"] for e in not_invited] == [alice["user_id"]], f"{not_invited}")
    jm = m.call((rooms, "/rooms/{roomId}/joined_members"), "GET",
                f"{C}/rooms/{direct}/joined_members", token=bob["token"]).body["joined"]
    ok(set(jm) == {alice["user_id"], bob["user_id"]}, f"direct room joined members: {jm}")

    # Refusals: an invitee (not joined), a stranger, an unknown room, no token.
    for path in ("state", "members", "joined_members", "state/m.room.name/"):
        m.call(None, "GET", f"{C}/rooms/{group}/{path}", token=bob["token"], expect=403,
               errcode="M_FORBIDDEN")
        m.call(None, "GET", f"{C}/rooms/{direct}/{path}", token=carol["token"], expect=403,
               errcode="M_FORBIDDEN")
        m.call(None, "GET", f"{C}/rooms/!nosuch:localhost/{path}", token=t, expect=404,
               errcode="M_NOT_FOUND")
        m.call(None, "GET", f"{C}/rooms/{group}/{path}", expect=401, errcode="M_MISSING_TOKEN")
    m.call(None, "GET", C + "/joined_rooms", expect=401, errcode="M_MISSING_TOKEN")


def profiles_in_joins(m, alice, bob, direct):
    """A local user's join event carries their published profile, on every
    path that makes one: createRoom, /join, a /v1 group."""
    one = "rooms.yaml", "/rooms/{roomId}/state/{eventType}/{stateKey}"
    names = {alice["user_id"]: "Alice R.", bob["user_id"]: "Bob R."}
    for who in (alice, bob):
        m.call(("profile.yaml", "/profile/{userId}/{keyName}"), "PUT",
               f"{C}/profile/{who['user_id']}/displayname",
               {"displayname": names[who["user_id"]]}, token=who["token"])
    m.call(("profile.yaml", "/profile/{userId}/{keyName}"), "PUT",
           f"{C}/profile/{alice['user_id']}/avatar_url", {"avatar_url": "mxc://localhost/a"},
           token=alice["token"])

    def member(room, who, reader):
        return m.call(one, "GET", f"{C}/rooms/{room}/state/m.room.member/{who['user_id']}",
                      token=reader["token"]).body
    # profile.updated reaches messaging through the bus: the rewritten joins
    # of the direct room show when both profiles are known there.
    # The avatar is a later profile.updated than the name: wait for it too.
    expected = {alice["user_id"]: {"membership": "join", "displayname": "Alice R.",
                                   "avatar_url": "mxc://localhost/a"},
                bob["user_id"]: {"membership": "join", "displayname": "Bob R."}}
    for who in (alice, bob):
        until(f"{who['user_id']}'s profile in the direct room",
              lambda: member(direct, who, alice) == expected[who["user_id"]])

    room = m.call(CREATE, "POST", C + "/createRoom",
                  {"preset": "private_chat", "invite": [bob["user_id"]]},
                  token=alice["token"]).body["room_id"]
    m.call(("joining.yaml", "/rooms/{roomId}/join"), "POST", f"{C}/rooms/{room}/join", {},
           token=bob["token"])
    mine = member(room, alice, alice)
    ok(mine == {"membership": "join", "displayname": "Alice R.",
                "avatar_url": "mxc://localhost/a"}, f"alice's join from createRoom: {mine}")
    his = member(room, bob, alice)
    ok(his == {"membership": "join", "displayname": "Bob R."}, f"bob's join from /join: {his}")
    jm = m.call(("rooms.yaml", "/rooms/{roomId}/joined_members"), "GET",
                f"{C}/rooms/{room}/joined_members", token=bob["token"]).body["joined"]
    ok(jm[alice["user_id"]].get("display_name") == "Alice R." and
       jm[bob["user_id"]].get("display_name") == "Bob R.", f"joined_members: {jm}")

    made = m.raw("POST", "/v1/conversations", {"name": "named", "member_ids": [bob["uuid"]]},
                 token=alice["token"])
    ok(made.status == 201, f"/v1 group: {made}")
    group = made.body["conversation_id"]
    his = member(group, bob, alice)
    ok(his.get("displayname") == "Bob R.", f"bob's join in a /v1 group: {his}")


def members_at(m, alice, bob, carol, dave):
    """GET /members?at=: the members as a sync token or a room token saw
    them; a former member sees the room as at their leave."""
    members = ("rooms.yaml", "/rooms/{roomId}/members")
    sync = ("sync.yaml", "/sync")

    def token(who, members):
        # A sync token's place is what that sync saw, which may lag behind
        # the latest writes while other transactions are open: take the
        # token of an initial sync whose room shows exactly `members`.
        def seen():
            body = m.call(sync, "GET", C + "/sync", token=who["token"],
                          query={"timeout": "0"}).body
            joined = body["rooms"]["join"].get(room, {})
            events = joined.get("state", {}).get("events", []) + \
                joined.get("timeline", {}).get("events", [])
            got = {e["state_key"]: e["content"]["membership"] for e in events
                   if e["type"] == "m.room.member"}
            return body["next_batch"] if got == members else None
        return until(f"a sync showing {members}", seen)

    def at(who, where):
        chunk = m.call(members, "GET", f"{C}/rooms/{room}/members", token=who["token"],
                       query={"at": where} if where else None).body["chunk"]
        return {e["state_key"]: e["content"]["membership"] for e in chunk}

    def join(who):
        m.call(("joining.yaml", "/rooms/{roomId}/join"), "POST", f"{C}/rooms/{room}/join", {},
               token=who["token"])

    room = m.call(CREATE, "POST", C + "/createRoom", {"preset": "public_chat"},
                  token=alice["token"]).body["room_id"]
    everyone = {alice["user_id"]: "join", bob["user_id"]: "join", carol["user_id"]: "join"}
    only_alice = token(alice, {alice["user_id"]: "join"})
    join(bob)
    with_bob = token(alice, {alice["user_id"]: "join", bob["user_id"]: "join"})
    join(carol)
    ok(at(alice, None) == everyone, f"current members: {at(alice, None)}")
    ok(at(alice, only_alice) == {alice["user_id"]: "join"}, f"at the first sync: "
       f"{at(alice, only_alice)}")
    ok(at(alice, with_bob) == {alice["user_id"]: "join", bob["user_id"]: "join"},
       f"at the second sync: {at(alice, with_bob)}")
    # A room token: /messages backwards ends before carol's join.
    page = m.call(("message_pagination.yaml", "/rooms/{roomId}/messages"), "GET",
                  f"{C}/rooms/{room}/messages", token=alice["token"],
                  query={"dir": "b", "limit": "1"}).body
    ok(page["chunk"][0]["state_key"] == carol["user_id"], f"newest is carol's join: {page}")
    ok(at(alice, page["end"]) == at(alice, with_bob), f"at a room token: {at(alice, page['end'])}")

    # Bob leaves, then carol: bob sees the room as at his leave.
    m.call(("leaving.yaml", "/rooms/{roomId}/leave"), "POST", f"{C}/rooms/{room}/leave", {},
           token=bob["token"])
    m.call(("leaving.yaml", "/rooms/{roomId}/leave"), "POST", f"{C}/rooms/{room}/leave", {},
           token=carol["token"])
    now = token(alice, {**everyone, bob["user_id"]: "leave", carol["user_id"]: "leave"})
    ok(at(bob, now) == {**everyone, bob["user_id"]: "leave"}, f"bob after his leave: "
       f"{at(bob, now)}")
    ok(at(alice, now) == {**everyone, bob["user_id"]: "leave", carol["user_id"]: "leave"},
       f"alice now: {at(alice, now)}")

    # Refusals: never a member, a token this server did not give, no token.
    m.call(None, "GET", f"{C}/rooms/{room}/members", token=dave["token"], query={"at": now},
           expect=403, errcode="M_FORBIDDEN")
    for bad in ("zzz", "r", "rx", "m", "m1.x"):
        m.call(None, "GET", f"{C}/rooms/{room}/members", token=alice["token"],
               query={"at": bad}, expect=400, errcode="M_INVALID_PARAM")
    m.call(None, "GET", f"{C}/rooms/{room}/members", query={"at": now}, expect=401,
           errcode="M_MISSING_TOKEN")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    alice, bob, carol, dave = (account(m, n) for n in ("rmalice", "rmbob", "rmcarol", "rmdave"))
    befriend(m, alice, bob)
    refusals(m, alice, carol)
    made = rooms(m, alice, bob, carol)
    state_and_members(m, alice, bob, carol, *made)
    profiles_in_joins(m, alice, bob, made[0])
    members_at(m, alice, bob, carol, dave)
    print(f"rooms_test: ok ({m.checked} answers validated against the spec)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
