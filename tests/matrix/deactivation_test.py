"""Account deactivation over HTTP (docs/api-additions/account-deactivation.md):
alice (Matrix) and dave (/v1) close their accounts; their tokens die at
once, login answers as for a wrong password, the usernames stay taken, bob
sees them leave (Matrix sync, /v1 sync), their direct rooms turn read-only
and their profiles are erased from search. Every Matrix answer is validated
against the spec's schemas; bad input gets the spec's errors, never a 5xx.

    /usr/bin/python3 deactivation_test.py --base URL --notes FILE

FILE receives the user ids whose bus events the caller checks.
"""
import argparse
import json
import sys
import uuid

from matrix_http import C, CREATE, PASSWORD, MatrixHttp, account, befriend, ok, q, until
from rooms_test import conversation
from sync_test import send_v1, sync

DEACTIVATE = ("account_deactivation.yaml", "/account/deactivate")
WHOAMI = ("whoami.yaml", "/account/whoami")
LOGIN = ("login.yaml", "/login")
AVAILABLE = ("registration.yaml", "/register/available")
SEND = ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")
JOIN = ("joining.yaml", "/rooms/{roomId}/join")
DIRECTORY = ("users.yaml", "/user_directory/search")


def v1(m, token, method, path, body=None, expect=None, query=None):
    got = m.raw(method, path, body, token=token, query=query)
    ok(got.status < 500, f"{method} {path}: never a 5xx: {got}")
    if expect is not None:
        ok(got.status == expect, f"{method} {path}: expected {expect}, got {got}")
    return got


def matrix_send(m, who, room, text, expect=200, errcode=None):
    return m.call(SEND if expect == 200 else None, "PUT",
                  f"{C}/rooms/{q(room)}/send/m.room.message/t-{uuid.uuid4().hex}",
                  {"msgtype": "m.text", "body": text}, token=who["token"], expect=expect,
                  errcode=errcode)


def v1_next(m, who):
    return v1(m, who["token"], "GET", "/v1/sync", expect=200).body["next"]


def v1_sync_until(m, who, since, what, done):
    """/v1/sync events from `since` until done(events) holds (bounded)."""
    events = []

    def poll():
        nonlocal since
        got = v1(m, who["token"], "GET", "/v1/sync", expect=200,
                 query={"since": since, "timeout_ms": 1000})
        since = got.body["next"]
        events.extend(got.body["events"])
        return done(events)
    until(what, poll, deadline_s=60)
    return events


def has(events, **fields):
    return any(all(e.get(k) == v for k, v in fields.items()) for e in events)


def membership_in(body, section, room, user_id):
    """The membership of user_id that `room` of the sync section shows last."""
    found = None
    got = body["rooms"][section].get(room)
    if got is None:
        return None
    for e in got.get("state", {}).get("events", []) + got["timeline"]["events"]:
        if e["type"] == "m.room.member" and e["state_key"] == user_id:
            found = e["content"]["membership"]
    return found


def bad_input(m, alice):
    t = alice["token"]
    m.call(None, "POST", C + "/account/deactivate", {}, expect=401, errcode="M_MISSING_TOKEN")
    m.call(None, "POST", C + "/account/deactivate", {}, token="nope", expect=401,
           errcode="M_UNKNOWN_TOKEN")
    m.call(None, "POST", C + "/account/deactivate", b"{not json", token=t, expect=400,
           errcode="M_NOT_JSON")
    m.call(None, "POST", C + "/account/deactivate", {"erase": "yes"}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "POST", C + "/account/deactivate", {"auth": "password"}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "POST", C + "/account/deactivate",
           {"auth": {"type": "m.login.password", "password": 7}}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "GET", C + "/account/deactivate", token=t, expect=405,
           errcode="M_UNRECOGNIZED")


def matrix_deactivation(m, alice, bob):
    t = alice["token"]
    direct = m.call(CREATE, "POST", C + "/createRoom",
                    {"is_direct": True, "preset": "trusted_private_chat",
                     "invite": [bob["user_id"]]}, token=t).body["room_id"]
    group = m.call(CREATE, "POST", C + "/createRoom",
                   {"preset": "private_chat", "name": "farewell",
                    "invite": [bob["user_id"]]}, token=t).body["room_id"]
    for room in (direct, group):
        m.call(JOIN, "POST", f"{C}/rooms/{q(room)}/join", {}, token=bob["token"])
    until("bob in the group over /v1", lambda: conversation(m, bob, group))
    matrix_send(m, alice, direct, "bye soon")
    bob_since = sync(m, bob)["next_batch"]
    bob_v1 = v1_next(m, bob)

    bad_input(m, alice)
    flows = m.call(DEACTIVATE, "POST", C + "/account/deactivate", {"erase": True}, token=t,
                   expect=401)
    ok(flows.body["flows"] == [{"stages": ["m.login.password"]}], f"flows: {flows}")
    wrong = m.call(DEACTIVATE, "POST", C + "/account/deactivate",
                   {"erase": True, "auth": {"type": "m.login.password",
                                            "session": flows.body["session"],
                                            "identifier": {"type": "m.id.user",
                                                           "user": alice["user_id"]},
                                            "password": "not the password"}},
                   token=t, expect=401, errcode="M_FORBIDDEN")
    ok("flows" in wrong.body, f"a failed stage lists the flows again: {wrong}")
    m.call(WHOAMI, "GET", C + "/account/whoami", token=t)  # still alive
    done = m.call(DEACTIVATE, "POST", C + "/account/deactivate",
                  {"erase": True, "id_server": "id.example.org",
                   "auth": {"type": "m.login.password", "session": flows.body["session"],
                            "identifier": {"type": "m.id.user", "user": alice["user_id"]},
                            "password": PASSWORD}}, token=t)
    ok(done.body == {"id_server_unbind_result": "no-support"}, f"deactivated: {done}")

    # The token dies at once (no wait), every way it is presented.
    m.call(None, "GET", C + "/account/whoami", token=t, expect=401, errcode="M_UNKNOWN_TOKEN")
    v1(m, t, "GET", "/v1/me", expect=401)
    # Login with the right password answers what a wrong password answers.
    login = {"type": "m.login.password",
             "identifier": {"type": "m.id.user", "user": "alice"}}
    right = m.call(None, "POST", C + "/login", dict(login, password=PASSWORD), expect=403,
                   errcode="M_FORBIDDEN")
    bad = m.call(None, "POST", C + "/login", dict(login, password="wrong one"), expect=403,
                 errcode="M_FORBIDDEN")
    ok(right.body == bad.body, f"the same answer: {right} vs {bad}")
    v1_right = v1(m, None, "POST", "/v1/auth/login", {"login": "alice", "password": PASSWORD},
                  expect=401)
    v1_bad = v1(m, None, "POST", "/v1/auth/login", {"login": "alice", "password": "wrong one"},
                expect=401)
    ok(v1_right.body == v1_bad.body, f"/v1: the same answer: {v1_right} vs {v1_bad}")
    # A Matrix user id is never reused.
    m.call(None, "GET", C + "/register/available", query={"username": "alice"}, expect=400,
           errcode="M_USER_IN_USE")

    # bob sees her leave both rooms (Matrix sync), the friendship end (/v1).
    def left_both():
        nonlocal bob_since
        body = sync(m, bob, since=bob_since, timeout=1000)
        bob_since = body["next_batch"]
        for room in (direct, group):
            if membership_in(body, "join", room, alice["user_id"]) == "leave":
                seen.add(room)
        return seen == {direct, group}
    seen = set()
    until("alice's leaves in bob's Matrix sync", left_both, deadline_s=60)
    events = v1_sync_until(m, bob, bob_v1, "contact_removed and member_removed in /v1 sync",
                           lambda ev: has(ev, type="contact_removed", user_id=alice["uuid"])
                           and has(ev, type="member_removed", conversation_id=group,
                                   user_id=alice["uuid"]))
    ok(not has(events, type="member_removed", conversation_id=direct), f"{events}")
    # The direct room is read-only for bob, through both APIs.
    matrix_send(m, bob, direct, "are you there?", expect=403, errcode="M_FORBIDDEN")
    sent = v1(m, bob["token"], "POST", "/v1/messages",
              {"conversation_id": direct, "text": "hello?", "client_msg_id": str(uuid.uuid4())},
              expect=403)
    ok(sent.body["error"]["code"] == "PERMISSION_DENIED", f"{sent}")
    send_v1(m, bob, group, "the group goes on")  # the group stays open to bob

    # Her profile is erased and gone from both searches.
    until("alice erased", lambda: v1(m, bob["token"], "GET",
                                     f"/v1/users/{alice['uuid']}/profile",
                                     expect=200).body["display_name"] == "")
    found = v1(m, bob["token"], "GET", "/v1/users/search", query={"q": "alice"}, expect=200)
    ok(all(u["user_id"] != alice["uuid"] for u in found.body["users"]), f"{found}")
    directory = m.call(DIRECTORY, "POST", C + "/user_directory/search",
                       {"search_term": "alice"}, token=bob["token"]).body
    ok(all(u["user_id"] != alice["user_id"] for u in directory["results"]), f"{directory}")
    return {"alice": alice["uuid"], "direct": direct, "group": group}


def v1_deactivation(m, bob):
    name = "dave" + uuid.uuid4().hex[:6]
    email = name + "@example.com"
    registered = v1(m, None, "POST", "/v1/auth/register",
                    {"username": name, "email": email, "password": PASSWORD}, expect=201)
    dave_id = registered.body["user_id"]
    login = v1(m, None, "POST", "/v1/auth/login", {"login": email, "password": PASSWORD},
               expect=200)
    dave = {"token": login.body["access_token"], "uuid": dave_id}
    befriend(m, dave, bob)
    bob_v1 = v1_next(m, bob)
    for body, status, code in (({}, 400, "INVALID_ARGUMENT"),
                               ({"password": 5}, 400, "INVALID_ARGUMENT"),
                               ({"password": "nope nope"}, 403, "PERMISSION_DENIED")):
        got = v1(m, dave["token"], "POST", "/v1/me/deactivate", body, expect=status)
        ok(got.body["error"]["code"] == code, f"{body}: {got}")
    v1(m, None, "POST", "/v1/me/deactivate", {"password": PASSWORD}, expect=401)
    got = v1(m, dave["token"], "POST", "/v1/me/deactivate", {"password": PASSWORD}, expect=200)
    ok(got.body == {"deactivated": True}, f"{got}")
    v1(m, dave["token"], "GET", "/v1/me", expect=401)
    v1(m, dave["token"], "POST", "/v1/me/deactivate", {"password": PASSWORD}, expect=401)
    for who in (email, name):
        right = v1(m, None, "POST", "/v1/auth/login", {"login": who, "password": PASSWORD},
                   expect=401)
        bad = v1(m, None, "POST", "/v1/auth/login", {"login": who, "password": "wrong one"},
                 expect=401)
        ok(right.body == bad.body, f"{who}: the same answer: {right} vs {bad}")
    taken = v1(m, None, "POST", "/v1/auth/register",
               {"username": name, "email": "other" + email, "password": PASSWORD}, expect=409)
    ok(taken.body["error"]["code"] == "ALREADY_EXISTS", f"{taken}")
    v1_sync_until(m, bob, bob_v1, "dave's contact_removed",
                  lambda ev: has(ev, type="contact_removed", user_id=dave_id))
    until("dave out of search", lambda: all(
        u["user_id"] != dave_id for u in v1(m, bob["token"], "GET", "/v1/users/search",
                                            query={"q": name}, expect=200).body["users"]))
    return dave_id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--notes", required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    alice = account(m, "alice")
    bob = account(m, "bob")
    befriend(m, alice, bob)
    notes = matrix_deactivation(m, alice, bob)
    notes["bob"] = bob["uuid"]
    notes["dave"] = v1_deactivation(m, bob)
    with open(args.notes, "w", encoding="utf-8") as f:
        json.dump(notes, f)
    print(f"deactivation: ok ({m.checked} answers validated against the spec)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
