"""Matrix sync against a running messenger: initial and incremental /sync,
long polls woken by a send, limited timelines and /messages from
prev_batch, invite -> join -> leave moving a room between sections,
typing and receipts in ephemeral, filters, /context, read markers, the
cross-API facts (/v1 message in Matrix sync, m.read dropping /v1 unread)
and every refusal. Every answer is validated against the spec's response
schema, and the events it checks against their event schemas.

    /usr/bin/python3 sync_test.py --base URL --phase main --state FILE
    /usr/bin/python3 sync_test.py --base URL --phase restart --state FILE

The restart phase reuses the tokens the main phase saved in FILE (the
messenger was restarted in between). Exit status 0 when every check passes.
"""
import argparse
import json
import os
import sys
import threading
import time
import uuid

import jsonschema

from matrix_http import C, MatrixHttp, account, befriend, ok, q, until

SYNC = ("sync.yaml", "/sync")
MESSAGES = ("message_pagination.yaml", "/rooms/{roomId}/messages")
CONTEXT = ("event_context.yaml", "/rooms/{roomId}/context/{eventId}")
RECEIPT = ("receipts.yaml", "/rooms/{roomId}/receipt/{receiptType}/{eventId}")
MARKERS = ("read_markers.yaml", "/rooms/{roomId}/read_markers")
TYPING = ("typing.yaml", "/rooms/{roomId}/typing/{userId}")
PUT_FILTER = ("filter.yaml", "/user/{userId}/filter")
GET_FILTER = ("filter.yaml", "/user/{userId}/filter/{filterId}")
# A long poll must wake well before its timeout (generous for a busy CI box).
WAKE_BOUND_S = 5.0



class EventSchemas:
    """Validates events against data/event-schemas (relative $refs resolved)."""

    def __init__(self, m):
        self.spec = m.spec
        self.dir = os.path.join(os.path.dirname(m.spec.api_dir), "..", "event-schemas", "schema")
        self.checked = 0

    def check(self, event):
        path = os.path.normpath(os.path.join(self.dir, event["type"] + ".yaml"))
        if not os.path.exists(path):
            return
        schema = self.spec._resolve(self.spec._load(path), path)
        try:
            jsonschema.validate(event, schema, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as e:
            raise AssertionError(f"{event['type']} event: {e.message}: {json.dumps(event)[:400]}")
        self.checked += 1


def sync(m, who, since=None, timeout=0, filt=None, full_state=False, events=None):
    query = {"timeout": str(timeout)}
    if since:
        query["since"] = since
    if filt is not None:
        query["filter"] = filt if isinstance(filt, str) else json.dumps(filt)
    if full_state:
        query["full_state"] = "true"
    body = m.call(SYNC, "GET", C + "/sync", token=who["token"], query=query).body
    if events is not None:
        for section in ("join", "leave"):
            for room in body["rooms"][section].values():
                for e in room["timeline"]["events"] + room.get("ephemeral", {}).get("events", []):
                    events.check(e)
    return body


def send_v1(m, who, room_id, text):
    sent = m.raw("POST", "/v1/messages",
                 {"conversation_id": room_id, "text": text, "client_msg_id": str(uuid.uuid4())},
                 token=who["token"])
    ok(sent.status in (200, 201), f"send: {sent}")
    return sent.body["message_id"]


def unread(m, who, room_id):
    listed = m.raw("GET", "/v1/conversations", token=who["token"])
    ok(listed.status == 200, f"/v1/conversations: {listed}")
    for c in listed.body["conversations"]:
        if c["conversation_id"] == room_id:
            return c["unread_count"]
    return None


def bodies(events):
    return [e["content"].get("body") for e in events if e["type"] == "m.room.message"]


def sync_until(m, who, since, what, check, events=None):
    """Long polls from `since` until check(body) holds; returns (body, next)."""
    deadline = time.monotonic() + 20
    while True:
        body = sync(m, who, since, timeout=5000, events=events)
        if check(body):
            return body, body["next_batch"]
        since = body["next_batch"]
        ok(time.monotonic() < deadline, f"{what}: not within 20 s")


def refusals(m, alice, bob, carol, room_id, event_id):
    t = bob["token"]
    m.call(None, "GET", C + "/sync", expect=401, errcode="M_MISSING_TOKEN")
    for since in ("garbage", "m1", "s5", "m1.2.BAD-1", "m" + "9" * 30 + ".1"):
        m.call(None, "GET", C + "/sync", token=t, query={"since": since}, expect=400,
               errcode="M_INVALID_PARAM")
    m.call(None, "GET", C + "/sync", token=t, query={"filter": "{not json"}, expect=400,
           errcode="M_BAD_JSON")
    for filt in ('{"room": 5}', '{"room": {"timeline": {"limit": "x"}}}', "999999", "abc"):
        m.call(None, "GET", C + "/sync", token=t, query={"filter": filt}, expect=400,
               errcode="M_INVALID_PARAM")
    for query in ({"timeout": "soon"}, {"full_state": "maybe"}, {"set_presence": "away"}):
        m.call(None, "GET", C + "/sync", token=t, query=query, expect=400,
               errcode="M_INVALID_PARAM")
    fpath = C + f"/user/{q(bob['user_id'])}/filter"
    for body in ({"room": {"timeline": {"limit": "x"}}}, {"room": []},
                 {"room": {"rooms": "!a:localhost"}}):
        m.call(None, "POST", fpath, body, token=t, expect=400, errcode="M_BAD_JSON")
    m.call(None, "POST", fpath, b"{nope", token=t, expect=400, errcode="M_NOT_JSON")
    m.call(None, "POST", fpath, {}, token=carol["token"], expect=403, errcode="M_FORBIDDEN")
    m.call(None, "GET", fpath + "/12345678", token=t, expect=404, errcode="M_NOT_FOUND")
    m.call(None, "GET", fpath + "/x", token=t, expect=404, errcode="M_NOT_FOUND")
    msgs = C + f"/rooms/{q(room_id)}/messages"
    for query in ({"from": "garbage"}, {"dir": "x"}, {"limit": "-1"}, {"to": "m1.1"},
                  {"limit": "ten"}):
        m.call(None, "GET", msgs, token=t, query=query, expect=400, errcode="M_INVALID_PARAM")
    m.call(None, "GET", msgs, token=t, query={"filter": "[1"}, expect=400, errcode="M_BAD_JSON")
    m.call(None, "GET", msgs, token=carol["token"], expect=403, errcode="M_FORBIDDEN")
    m.call(None, "GET", C + f"/rooms/{q('!nope:localhost')}/messages", token=t, expect=403,
           errcode="M_FORBIDDEN")
    ctx = C + f"/rooms/{q(room_id)}/context/"
    m.call(None, "GET", ctx + q("$nope"), token=t, expect=404, errcode="M_NOT_FOUND")
    m.call(None, "GET", ctx + q(event_id), token=carol["token"], expect=403,
           errcode="M_FORBIDDEN")
    rc = C + f"/rooms/{q(room_id)}/receipt/"
    m.call(None, "POST", rc + "m.read/" + q("$nope"), {}, token=t, expect=404,
           errcode="M_NOT_FOUND")
    m.call(None, "POST", rc + "m.unknown/" + q(event_id), {}, token=t, expect=400,
           errcode="M_INVALID_PARAM")
    m.call(None, "POST", rc + "m.read/" + q(event_id), {}, token=carol["token"], expect=403,
           errcode="M_FORBIDDEN")
    m.call(None, "POST", rc + "m.read/" + q(event_id), {"thread_id": 5}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "POST", C + f"/rooms/{q(room_id)}/read_markers", {"m.read": 5}, token=t,
           expect=400, errcode="M_BAD_JSON")
    ty = C + f"/rooms/{q(room_id)}/typing/"
    m.call(None, "PUT", ty + q(alice["user_id"]), {"typing": True}, token=t, expect=403,
           errcode="M_FORBIDDEN")
    m.call(None, "PUT", ty + q(bob["user_id"]), {"typing": "yes"}, token=t, expect=400,
           errcode="M_BAD_JSON")
    m.call(None, "PUT", ty + q(bob["user_id"]), {"timeout": 5}, token=t, expect=400,
           errcode="M_MISSING_PARAM")
    m.call(None, "PUT", ty + q(carol["user_id"]), {"typing": True}, token=carol["token"],
           expect=403, errcode="M_FORBIDDEN")


def main_phase(m, events, state_file):
    run = uuid.uuid4().hex[:8]
    alice, bob, carol = (account(m, f"{n}{run}") for n in ("alice", "bob", "carol"))
    befriend(m, alice, bob)
    befriend(m, alice, carol)

    # Initial sync: nothing yet, a token.
    first = sync(m, bob)
    ok(first["next_batch"], "initial sync has a next_batch")
    since = first["next_batch"]

    # Invited by createRoom: the room is in `invite`, with stripped state.
    room_id = m.raw("POST", C + "/createRoom", {"name": "Sync room", "invite": [bob["user_id"]]},
                    token=alice["token"]).body["room_id"]
    body, since = sync_until(m, bob, since, "invite in sync",
                             lambda b: room_id in b["rooms"]["invite"])
    stripped = body["rooms"]["invite"][room_id]["invite_state"]["events"]
    mine = [e for e in stripped if e["type"] == "m.room.member" and e["state_key"] == bob["user_id"]]
    ok(mine and mine[0]["content"]["membership"] == "invite", f"invite_state: {stripped}")
    ok(any(e["type"] == "m.room.name" for e in stripped), "invite_state names the room")
    ok(room_id not in body["rooms"]["join"], "an invited room is not joined")

    # Joined (through /v1): now in `join` with its whole state.
    added = m.raw("POST", f"/v1/conversations/{room_id}/members", {"member_ids": [bob["uuid"]]},
                  token=alice["token"])
    ok(added.status == 200, f"add member: {added}")
    body, since = sync_until(m, bob, since, "join in sync",
                             lambda b: room_id in b["rooms"]["join"], events)
    joined = body["rooms"]["join"][room_id]
    ok(room_id not in body["rooms"]["invite"], "a joined room left `invite`")
    all_events = joined["state"]["events"] + joined["timeline"]["events"]
    ok(any(e["type"] == "m.room.create" for e in all_events), "a fresh join shows the state")
    ok(joined["summary"]["m.joined_member_count"] == 2, f"summary: {joined['summary']}")
    ok(alice["user_id"] in joined["summary"]["m.heroes"], f"heroes: {joined['summary']}")

    # Long poll woken by a send (bounded), cross-API: a /v1 message.
    result = {}

    def poll():
        start = time.monotonic()
        result["body"] = sync(m, bob, since, timeout=20000, events=events)
        result["returned"] = time.monotonic()
        result["start"] = start

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    sent_at = time.monotonic()
    send_v1(m, alice, room_id, "woken")
    waiter.join(30)
    ok("body" in result, "the long poll answered")
    latency = result["returned"] - sent_at
    ok(latency < WAKE_BOUND_S, f"long poll woke after {latency:.2f} s")
    body = result["body"]
    since = body["next_batch"]
    if "woken" not in bodies(body["rooms"]["join"].get(room_id, {}).get("timeline", {})
                             .get("events", [])):
        body, since = sync_until(m, bob, since, "woken message",
                                 lambda b: "woken" in bodies(
                                     b["rooms"]["join"].get(room_id, {})
                                     .get("timeline", {}).get("events", [])))
    print(f"long poll wake: {latency * 1000:.0f} ms")

    # A limited timeline, then /messages back from its prev_batch.
    for i in range(15):
        last_id = send_v1(m, alice, room_id, f"msg {i}")
    limit5 = {"room": {"timeline": {"limit": 5}}}
    body, since = sync_until(
        m, bob, since, "15 messages",
        lambda b: "msg 14" in bodies(b["rooms"]["join"].get(room_id, {})
                                     .get("timeline", {}).get("events", [])), events)
    # A fresh look at the last 15 with a limit of 5: limited.
    full = sync(m, bob, filt=limit5, events=events)
    tl = full["rooms"]["join"][room_id]["timeline"]
    ok(tl["limited"] and len(tl["events"]) == 5, f"limited timeline: {tl}")
    ok(bodies(tl["events"]) == [f"msg {i}" for i in range(10, 15)], f"timeline: {bodies(tl['events'])}")
    page = m.call(MESSAGES, "GET", C + f"/rooms/{q(room_id)}/messages", token=bob["token"],
                  query={"from": tl["prev_batch"], "dir": "b", "limit": "6"}).body
    ok(bodies(page["chunk"]) == [f"msg {i}" for i in range(9, 3, -1)],
       f"/messages back: {bodies(page['chunk'])}")
    for e in page["chunk"]:
        events.check(e)
    page2 = m.call(MESSAGES, "GET", C + f"/rooms/{q(room_id)}/messages", token=bob["token"],
                   query={"from": page["end"], "dir": "b", "limit": "100"}).body
    ok("end" not in page2, "the start of the room ends the pagination")
    ok(any(e["type"] == "m.room.create" for e in page2["chunk"]), "back to the room's creation")
    fwd = m.call(MESSAGES, "GET", C + f"/rooms/{q(room_id)}/messages", token=bob["token"],
                 query={"from": page["end"], "dir": "f", "limit": "3"}).body
    # A token is a place between events: forward from it starts where the
    # backward page stopped.
    ok(bodies(fwd["chunk"]) == ["msg 4", "msg 5", "msg 6"], f"/messages forward: {fwd}")

    # /context around a message.
    ctx = m.call(CONTEXT, "GET", C + f"/rooms/{q(room_id)}/context/{q(last_id)}",
                 token=bob["token"], query={"limit": "4"}).body
    ok(ctx["event"]["event_id"] == last_id and bodies(ctx["events_before"]) == ["msg 13", "msg 12"],
       f"context: {ctx}")
    events.check(ctx["event"])

    # Typing and receipts reach the other side in `ephemeral`.
    m.call(TYPING, "PUT", C + f"/rooms/{q(room_id)}/typing/{q(alice['user_id'])}",
           {"typing": True, "timeout": 10000}, token=alice["token"])
    body, since = sync_until(
        m, bob, since, "typing in ephemeral",
        lambda b: any(e["type"] == "m.typing" and alice["user_id"] in e["content"]["user_ids"]
                      for e in b["rooms"]["join"].get(room_id, {}).get("ephemeral", {})
                      .get("events", [])), events)
    ok(unread(m, bob, room_id) > 0, "bob has unread messages (/v1)")
    m.call(RECEIPT, "POST", C + f"/rooms/{q(room_id)}/receipt/m.read/{q(last_id)}", {},
           token=bob["token"])
    until("m.read drops the /v1 unread count", lambda: unread(m, bob, room_id) == 0)
    body, _ = sync_until(
        m, alice, None, "receipt in alice's ephemeral",
        lambda b: any(e["type"] == "m.receipt" and bob["user_id"] in
                      e["content"].get(last_id, {}).get("m.read", {})
                      for e in b["rooms"]["join"].get(room_id, {}).get("ephemeral", {})
                      .get("events", [])), events)
    m.call(MARKERS, "POST", C + f"/rooms/{q(room_id)}/read_markers",
           {"m.fully_read": last_id, "m.read": last_id, "m.read.private": last_id},
           token=bob["token"])
    m.call(RECEIPT, "POST", C + f"/rooms/{q(room_id)}/receipt/m.read.private/{q(last_id)}", {},
           token=bob["token"])

    # Filters: stored, read back, honoured (rooms, types, lazy members).
    fpath = C + f"/user/{q(bob['user_id'])}/filter"
    stored = m.call(PUT_FILTER, "POST", fpath,
                    {"room": {"timeline": {"limit": 2, "not_types": ["m.room.message"]},
                              "state": {"lazy_load_members": True}}},
                    token=bob["token"]).body["filter_id"]
    again = m.call(PUT_FILTER, "POST", fpath,
                   {"room": {"timeline": {"limit": 2, "not_types": ["m.room.message"]},
                             "state": {"lazy_load_members": True}}},
                   token=bob["token"]).body["filter_id"]
    ok(stored == again, "an equal filter keeps its id")
    got = m.call(GET_FILTER, "GET", f"{fpath}/{stored}", token=bob["token"]).body
    ok(got["room"]["timeline"]["limit"] == 2, f"filter read back: {got}")
    filtered = sync(m, bob, filt=stored)
    tl = filtered["rooms"]["join"][room_id]["timeline"]["events"]
    ok(len(tl) <= 2 and not bodies(tl), f"not_types and limit: {tl}")
    other = sync(m, bob, filt={"room": {"rooms": ["!other:localhost"]}})
    ok(not other["rooms"]["join"], "room.rooms leaves other rooms out")
    only_msgs = sync(m, bob, filt={"room": {"timeline": {"types": ["m.room.mess*"], "limit": 3},
                                           "state": {"lazy_load_members": True}}})
    r = only_msgs["rooms"]["join"][room_id]
    ok(all(e["type"] == "m.room.message" for e in r["timeline"]["events"]), "types filter")
    members = [e["state_key"] for e in r["state"]["events"] if e["type"] == "m.room.member"]
    ok(set(members) <= {alice["user_id"], bob["user_id"]}, f"lazy members: {members}")

    refusals(m, alice, bob, carol, room_id, last_id)

    # Leave: the room moves to `leave` once, with the timeline up to the leave.
    left = m.raw("POST", f"/v1/conversations/{room_id}/leave", {}, token=bob["token"])
    ok(left.status in (200, 204), f"leave: {left}")
    body, since = sync_until(m, bob, since, "leave in sync",
                             lambda b: room_id in b["rooms"]["leave"])
    ok(room_id not in body["rooms"]["join"], "a left room is not joined")
    tl = body["rooms"]["leave"][room_id]["timeline"]["events"]
    ok(tl and tl[-1]["type"] == "m.room.member" and tl[-1]["state_key"] == bob["user_id"]
       and tl[-1]["content"]["membership"] == "leave", f"leave timeline: {tl}")
    send_v1(m, alice, room_id, "after bob left")
    later = sync(m, bob, since, timeout=1000)
    ok(room_id not in later["rooms"]["leave"] and room_id not in later["rooms"]["join"],
       "a left room shows once")
    history = m.call(MESSAGES, "GET", C + f"/rooms/{q(room_id)}/messages", token=bob["token"],
                     query={"dir": "b", "limit": "5"}).body
    ok("after bob left" not in bodies(history["chunk"]) and history["chunk"][0]["content"]
       .get("membership") == "leave", f"a former member reads up to the leave: {history}")

    # Cross-API: a /v1 direct message appears in the recipient's Matrix sync.
    dm = m.raw("POST", "/v1/messages", {"to": bob["uuid"], "text": "hello over v1",
                                        "client_msg_id": str(uuid.uuid4())}, token=alice["token"])
    ok(dm.status in (200, 201), f"/v1 direct message: {dm}")
    body, since = sync_until(
        m, bob, later["next_batch"], "/v1 message in Matrix sync",
        lambda b: "hello over v1" in bodies(
            b["rooms"]["join"].get(dm.body["conversation_id"], {}).get("timeline", {})
            .get("events", [])), events)

    with open(state_file, "w") as f:
        json.dump({"bob": bob, "alice": alice, "since": since,
                   "dm": dm.body["conversation_id"]}, f)
    print(f"main phase: {m.checked} answers validated, {events.checked} events validated")


def restart_phase(m, events, state_file):
    with open(state_file) as f:
        saved = json.load(f)
    bob, alice = saved["bob"], saved["alice"]
    # The token given before the restart still works and misses nothing.
    quiet = sync(m, bob, saved["since"], timeout=0)
    ok(not quiet["rooms"]["join"], f"nothing new after the restart: {quiet['rooms']}")
    send_v1(m, alice, saved["dm"], "after the restart")
    sync_until(m, bob, saved["since"], "message after the restart",
               lambda b: "after the restart" in bodies(
                   b["rooms"]["join"].get(saved["dm"], {}).get("timeline", {})
                   .get("events", [])), events)
    print(f"restart phase: {m.checked} answers validated, {events.checked} events validated")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--phase", choices=["main", "restart"], default="main")
    parser.add_argument("--state", required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    events = EventSchemas(m)
    (main_phase if args.phase == "main" else restart_phase)(m, events, args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
