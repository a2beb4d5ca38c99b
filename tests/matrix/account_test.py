"""Matrix account state against a running messenger: account data (global
and per room, m.direct kept in step with direct rooms), push rules, room
aliases, the public room directory, the user directory, and a display name
change becoming a member event in the user's rooms. Every answer is
validated against the spec's response schema, events against the event
schemas; every refusal against its errcode.

    /usr/bin/python3 account_test.py --base http://127.0.0.1:8080

Exit status 0 when every check passes.
"""
import argparse
import os
import sys
import time
import uuid

import jsonschema

from matrix_http import C, CREATE, MatrixHttp, account, befriend, ok, q, until

DATA = ("account-data.yaml", "/user/{userId}/account_data/{type}")
ROOM_DATA = ("account-data.yaml", "/user/{userId}/rooms/{roomId}/account_data/{type}")
RULES = ("pushrules.yaml", "/pushrules/")
GLOBAL_RULES = ("pushrules.yaml", "/pushrules/global/")
RULE = ("pushrules.yaml", "/pushrules/global/{kind}/{ruleId}")
ENABLED = ("pushrules.yaml", "/pushrules/global/{kind}/{ruleId}/enabled")
ACTIONS = ("pushrules.yaml", "/pushrules/global/{kind}/{ruleId}/actions")
ALIAS = ("directory.yaml", "/directory/room/{roomAlias}")
ALIASES = ("directory.yaml", "/rooms/{roomId}/aliases")
VISIBILITY = ("list_public_rooms.yaml", "/directory/list/room/{roomId}")
PUBLIC = ("list_public_rooms.yaml", "/publicRooms")
USERS = ("users.yaml", "/user_directory/search")
STATE = ("rooms.yaml", "/rooms/{roomId}/state")


def check_event(m, event):
    """Validates an event against the spec's schema of its type."""
    base = os.path.join(os.path.dirname(m.spec.api_dir), "..", "event-schemas", "schema",
                        event["type"] + ".yaml")
    schema = m.spec._resolve(m.spec._load(base), os.path.normpath(base))
    jsonschema.validate(event, schema, cls=jsonschema.Draft202012Validator)


def data_path(who, kind, room=None):
    if room:
        return f"{C}/user/{q(who['user_id'])}/rooms/{q(room)}/account_data/{kind}"
    return f"{C}/user/{q(who['user_id'])}/account_data/{kind}"


def account_data(m, alice, bob, room, direct):
    t = alice["token"]
    m.call(DATA, "PUT", data_path(alice, "org.example.settings"), {"theme": "dark"}, token=t)
    got = m.call(DATA, "GET", data_path(alice, "org.example.settings"), token=t)
    ok(got.body == {"theme": "dark"}, f"global round trip: {got}")
    m.call(ROOM_DATA, "PUT", data_path(alice, "org.example.pin", room), {"on": True}, token=t)
    got = m.call(ROOM_DATA, "GET", data_path(alice, "org.example.pin", room), token=t)
    ok(got.body == {"on": True}, f"room round trip: {got}")
    # m.direct names the /v1 direct room for both users (computed).
    for who, peer in ((alice, bob), (bob, alice)):
        got = m.call(DATA, "GET", data_path(who, "m.direct"), token=who["token"])
        ok(direct in got.body.get(peer["user_id"], []), f"m.direct of {who['user_id']}: {got}")
        check_event(m, {"type": "m.direct", "content": got.body})
    rules = m.call(DATA, "GET", data_path(alice, "m.push_rules"), token=t)
    check_event(m, {"type": "m.push_rules", "content": rules.body})

    # Refusals.
    m.call(DATA, "GET", data_path(alice, "org.example.settings"), token=bob["token"], expect=403,
           errcode="M_FORBIDDEN")
    m.call(DATA, "PUT", data_path(alice, "org.example.settings"), {}, token=bob["token"],
           expect=403, errcode="M_FORBIDDEN")
    for kind in ("m.fully_read", "m.push_rules"):
        m.call(DATA, "PUT", data_path(alice, kind), {}, token=t, expect=405, errcode="M_BAD_JSON")
    m.call(None, "PUT", data_path(alice, "org.big"), {"x": "y" * 70000}, token=t, expect=413,
           errcode="M_TOO_LARGE")
    m.call(DATA, "PUT", data_path(alice, "org.bad"), b"{nope", token=t, expect=400,
           errcode="M_NOT_JSON")
    m.call(DATA, "GET", data_path(alice, "org.never.set"), token=t, expect=404,
           errcode="M_NOT_FOUND")
    m.call(ROOM_DATA, "PUT", data_path(bob, "org.example.pin", room), {}, token=bob["token"],
           expect=403, errcode="M_FORBIDDEN")
    m.call(ROOM_DATA, "PUT", data_path(alice, "org.example.pin", "!unknown:localhost"), {},
           token=t, expect=403, errcode="M_FORBIDDEN")
    m.call(ROOM_DATA, "GET", data_path(bob, "org.example.pin", room), token=bob["token"],
           expect=403, errcode="M_FORBIDDEN")
    m.call(None, "GET", data_path(alice, "org.example.settings"), expect=401,
           errcode="M_MISSING_TOKEN")


def push_rules(m, alice):
    t = alice["token"]
    rules = m.call(RULES, "GET", C + "/pushrules/", token=t).body
    ok(rules["global"]["override"][0]["rule_id"] == ".m.rule.master", f"defaults: {rules}")
    ok(any(r["rule_id"] == ".m.rule.message" for r in rules["global"]["underride"]),
       "the underride defaults")
    m.call(GLOBAL_RULES, "GET", C + "/pushrules/global/", token=t)
    m.call(RULE, "GET", C + "/pushrules/global/override/.m.rule.master", token=t)
    body = {"actions": ["notify"], "conditions": [
        {"kind": "event_match", "key": "content.body", "pattern": "tea*"}]}
    m.call(RULE, "PUT", C + "/pushrules/global/override/tea", body, token=t)
    m.call(RULE, "PUT", C + "/pushrules/global/override/cake", body, token=t,
           query={"after": "tea"})
    m.call(RULE, "PUT", C + "/pushrules/global/content/scones",
           {"actions": ["notify"], "pattern": "scones"}, token=t)
    rules = m.call(GLOBAL_RULES, "GET", C + "/pushrules/global/", token=t).body
    ids = [r["rule_id"] for r in rules["override"]]
    ok(ids[:3] == [".m.rule.master", "tea", "cake"], f"user rules after the master: {ids}")
    m.call(ENABLED, "PUT", C + "/pushrules/global/override/tea/enabled", {"enabled": False},
           token=t)
    got = m.call(ENABLED, "GET", C + "/pushrules/global/override/tea/enabled", token=t)
    ok(got.body == {"enabled": False}, f"disabled: {got}")
    m.call(ACTIONS, "PUT", C + "/pushrules/global/underride/.m.rule.message/actions",
           {"actions": []}, token=t)
    got = m.call(ACTIONS, "GET", C + "/pushrules/global/underride/.m.rule.message/actions",
                 token=t)
    ok(got.body == {"actions": []}, f"default rule actions changed: {got}")
    m.call(RULE, "DELETE", C + "/pushrules/global/override/tea", token=t)
    m.call(RULE, "GET", C + "/pushrules/global/override/tea", token=t, expect=404,
           errcode="M_NOT_FOUND")
    m.call(RULE, "DELETE", C + "/pushrules/global/override/tea", token=t, expect=404,
           errcode="M_NOT_FOUND")
    # Refusals.
    m.call(None, "DELETE", C + "/pushrules/global/override/.m.rule.master", token=t, expect=400)
    m.call(RULE, "PUT", C + "/pushrules/global/override/.mine", body, token=t, expect=400)
    m.call(RULE, "PUT", C + "/pushrules/global/override/x", {"actions": "notify"}, token=t,
           expect=400)
    m.call(RULE, "PUT", C + "/pushrules/global/bogus/x", body, token=t, expect=400)
    m.call(RULE, "PUT", C + "/pushrules/global/override/x", body, token=t, expect=404,
           query={"before": "nope"}, errcode="M_NOT_FOUND")
    m.call(ENABLED, "PUT", C + "/pushrules/global/override/nope/enabled", {"enabled": True},
           token=t, expect=404, errcode="M_NOT_FOUND")
    m.call(None, "PUT", C + "/pushrules/global/override/cake/enabled", {"enabled": "no"},
           token=t, expect=400, errcode="M_BAD_JSON")
    m.call(None, "GET", C + "/pushrules/", expect=401, errcode="M_MISSING_TOKEN")


def aliases(m, alice, bob, room):
    t = alice["token"]
    alias = "#acc-room:localhost"
    m.call(ALIAS, "PUT", f"{C}/directory/room/{q(alias)}", {"room_id": room}, token=t)
    got = m.call(ALIAS, "GET", f"{C}/directory/room/{q(alias)}")
    ok(got.body["room_id"] == room and got.body["servers"] == ["localhost"], f"resolve: {got}")
    m.call(ALIAS, "PUT", f"{C}/directory/room/{q(alias)}", {"room_id": room}, token=t,
           expect=409, errcode="M_ROOM_IN_USE")
    m.call(ALIAS, "PUT", f"{C}/directory/room/{q('#x:elsewhere')}", {"room_id": room}, token=t,
           expect=400, errcode="M_INVALID_PARAM")
    m.call(ALIAS, "PUT", f"{C}/directory/room/{q('#y:localhost')}", {"room_id": 5}, token=t,
           expect=400, errcode="M_BAD_JSON")
    m.call(None, "PUT", f"{C}/directory/room/{q('#y:localhost')}", {"room_id": room},
           token=bob["token"], expect=403, errcode="M_FORBIDDEN")
    m.call(None, "PUT", f"{C}/directory/room/{q('#y:localhost')}",
           {"room_id": "!nope:localhost"}, token=t, expect=404, errcode="M_NOT_FOUND")
    got = m.call(ALIASES, "GET", f"{C}/rooms/{q(room)}/aliases", token=t)
    ok(got.body["aliases"] == [alias], f"the room's aliases: {got}")
    m.call(ALIASES, "GET", f"{C}/rooms/{q(room)}/aliases", token=bob["token"], expect=403,
           errcode="M_FORBIDDEN")
    m.call(None, "DELETE", f"{C}/directory/room/{q(alias)}", token=bob["token"], expect=403,
           errcode="M_FORBIDDEN")
    m.call(ALIAS, "DELETE", f"{C}/directory/room/{q(alias)}", token=t)
    m.call(ALIAS, "GET", f"{C}/directory/room/{q(alias)}", expect=404, errcode="M_NOT_FOUND")
    m.call(ALIAS, "DELETE", f"{C}/directory/room/{q(alias)}", token=t, expect=404,
           errcode="M_NOT_FOUND")
    m.call(None, "PUT", f"{C}/directory/room/{q(alias)}", {"room_id": room}, expect=401,
           errcode="M_MISSING_TOKEN")


def public_rooms(m, alice, bob):
    t = alice["token"]
    made = []
    for i in range(3):
        room = m.call(CREATE, "POST", C + "/createRoom",
                      {"preset": "public_chat", "name": f"Acc public {i}",
                       "topic": "scones" if i == 1 else "tea"}, token=t).body["room_id"]
        m.call(VISIBILITY, "PUT", f"{C}/directory/list/room/{q(room)}",
               {"visibility": "public"}, token=t)
        made.append(room)
    got = m.call(VISIBILITY, "GET", f"{C}/directory/list/room/{q(made[0])}")
    ok(got.body == {"visibility": "public"}, f"published: {got}")
    first = m.call(PUBLIC, "GET", C + "/publicRooms", query={"limit": "2"}).body
    ok(len(first["chunk"]) == 2 and "next_batch" in first, f"first page: {first}")
    second = m.call(PUBLIC, "GET", C + "/publicRooms",
                    query={"limit": "2", "since": first["next_batch"]}).body
    listed = {r["room_id"] for r in first["chunk"] + second["chunk"]}
    ok(listed == set(made) and "next_batch" not in second and "prev_batch" in second,
       f"second page: {second}")
    found = m.call(PUBLIC, "POST", C + "/publicRooms",
                   {"filter": {"generic_search_term": "SCONES"}}, token=bob["token"]).body
    ok([r["room_id"] for r in found["chunk"]] == [made[1]], f"search: {found}")
    # Refusals.
    m.call(None, "PUT", f"{C}/directory/list/room/{q(made[0])}", {"visibility": "private"},
           token=bob["token"], expect=403, errcode="M_FORBIDDEN")
    m.call(VISIBILITY, "GET", f"{C}/directory/list/room/{q('!nope:localhost')}", expect=404,
           errcode="M_NOT_FOUND")
    m.call(None, "PUT", f"{C}/directory/list/room/{q(made[0])}", {"visibility": "secret"},
           token=t, expect=400, errcode="M_INVALID_PARAM")
    m.call(None, "GET", C + "/publicRooms", query={"since": "bogus"}, expect=400)
    m.call(None, "GET", C + "/publicRooms", query={"limit": "many"}, expect=400)
    m.call(None, "POST", C + "/publicRooms", {"limit": "2"}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "POST", C + "/publicRooms", {}, expect=401, errcode="M_MISSING_TOKEN")
    # Unpublished: gone from the list.
    m.call(VISIBILITY, "PUT", f"{C}/directory/list/room/{q(made[0])}", {"visibility": "private"},
           token=t)
    rest = m.call(PUBLIC, "GET", C + "/publicRooms").body
    ok(made[0] not in {r["room_id"] for r in rest["chunk"]}, f"unpublished: {rest}")


def user_directory(m, alice):
    t = alice["token"]
    found = m.call(USERS, "POST", C + "/user_directory/search", {"search_term": "acal"},
                   token=t).body
    ok([r["user_id"] for r in found["results"]] == [alice["user_id"]] and not found["limited"],
       f"search: {found}")
    cut = m.call(USERS, "POST", C + "/user_directory/search", {"search_term": "ac", "limit": 1},
                 token=t).body
    ok(len(cut["results"]) == 1 and cut["limited"], f"limited: {cut}")
    m.call(None, "POST", C + "/user_directory/search", {}, token=t, expect=400,
           errcode="M_MISSING_PARAM")
    m.call(None, "POST", C + "/user_directory/search", {"search_term": 5}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "POST", C + "/user_directory/search", {"search_term": "a"}, expect=401,
           errcode="M_MISSING_TOKEN")


def member_events(m, alice, bob, room):
    m.raw("PUT", f"{C}/profile/{q(alice['user_id'])}/displayname",
          {"displayname": "Alice Liddell"}, token=alice["token"])

    def renamed():
        state = m.call(STATE, "GET", f"{C}/rooms/{q(room)}/state", token=bob["token"]).body
        for event in state:
            if (event["type"] == "m.room.member" and event["state_key"] == alice["user_id"]
                    and event["content"].get("displayname") == "Alice Liddell"):
                return event
        return None

    event = until("the new display name in the shared room", renamed, deadline_s=60)
    ok(event["content"]["membership"] == "join", f"still joined: {event}")
    check_event(m, event)


def quiet_long_poll(m):
    """A user with no account data of their own: the incremental sync after
    the initial one holds until its timeout and repeats nothing (the push
    rules came once). It used to answer at once forever: the section's
    cursor stayed 0, which it read as an initial sync."""
    quiet = account(m, "acquiet")
    sync = ("sync.yaml", "/sync")
    first = m.call(sync, "GET", C + "/sync", token=quiet["token"], query={"timeout": "0"}).body
    types = [e["type"] for e in first.get("account_data", {}).get("events", [])]
    ok("m.push_rules" in types, f"the initial sync carries the push rules: {types}")
    started = time.monotonic()
    again = m.call(sync, "GET", C + "/sync", token=quiet["token"],
                   query={"since": first["next_batch"], "timeout": "1500"}).body
    waited = time.monotonic() - started
    ok(not again.get("account_data", {}).get("events"),
       f"nothing repeated after the initial sync: {again.get('account_data')}")
    ok(waited >= 1.2, f"the long poll held until its timeout: answered after {waited:.3f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    alice, bob, carol = (account(m, n) for n in ("acalice", "acbob", "accarol"))
    befriend(m, alice, bob)
    sent = m.raw("POST", "/v1/messages", {"to": bob["uuid"], "text": "hi bob",
                                          "client_msg_id": str(uuid.uuid4())},
                 token=alice["token"])
    ok(sent.status in (200, 201), f"/v1 direct message: {sent}")
    direct = sent.body["conversation_id"]
    room = m.call(CREATE, "POST", C + "/createRoom", {"preset": "public_chat", "name": "Acc"},
                  token=alice["token"]).body["room_id"]
    account_data(m, alice, bob, room, direct)
    push_rules(m, alice)
    aliases(m, alice, bob, room)
    public_rooms(m, alice, bob)
    user_directory(m, alice)
    member_events(m, alice, bob, direct)
    quiet_long_poll(m)
    print(f"account_test: ok ({m.checked} answers validated against the spec)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
