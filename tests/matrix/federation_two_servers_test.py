"""Two messenger homeservers talking to each other (issue 16, fedjoin):
alice@hs1 creates a public room and writes in it, bob@hs2 joins it through
/join with server_name (make_join and send_join between the two servers; the
messages before the join come with it through /backfill), messages go
both ways (each seen exactly once and in order in the other's /v3/sync,
/messages and /v1 history), typing and read receipts cross (m.typing and
m.receipt EDUs; a receipt sent through the Matrix API on one side and /v1
seen on the other), both servers write at once (forks: messages and the
topic, federation_two_servers_forks.py), keys and to-device messages cross
(federation_two_servers_e2ee.py), contacts across servers
(federation_two_servers_contacts.py) and a direct room between two of them,
read-only on both servers once they are no longer contacts
(federation_two_servers_direct.py); then, in the phases the C++ test
drives around stopping and restarting hs2, messages sent while hs2 is down
arrive once each and in order after it is back, and bob's leave on hs2
reaches hs1; then invites both ways (federation_two_servers_invites.py). Every answer is checked
against the spec schemas.

    federation_two_servers_test.py --hs1 URL --hs2 URL --state FILE \
        --phase join|down|up
"""
import argparse
import json
import statistics
import sys
import time
import uuid

from federation_two_servers_contacts import contacts, friends_across
from federation_two_servers_direct import (direct_chat, direct_glare, read_only_after_unfriend,
                                          unfriend)
from federation_two_servers_e2ee import e2ee
from federation_two_servers_forks import concurrent_writes
from federation_two_servers_invites import invites
from matrix_http import C, MatrixHttp, account, ok, q, until

SYNC = ("sync.yaml", "/sync")
JOIN = ("joining.yaml", "/join/{roomIdOrAlias}")
ROOM_JOIN = ("joining.yaml", "/rooms/{roomId}/join")
SEND = ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")
MESSAGES = ("message_pagination.yaml", "/rooms/{roomId}/messages")
JOINED = ("list_joined_rooms.yaml", "/joined_rooms")
ALIAS = ("directory.yaml", "/directory/room/{roomAlias}")
MEMBERS = ("rooms.yaml", "/rooms/{roomId}/joined_members")
TYPING = ("typing.yaml", "/rooms/{roomId}/typing/{userId}")
RECEIPT = ("receipts.yaml", "/rooms/{roomId}/receipt/{receiptType}/{eventId}")


class Syncer:
    """One user's incremental /v3/sync: the message events of a room in the
    order they were seen, and when each was first seen."""

    def __init__(self, m, who, room_id):
        self.m, self.who, self.room_id = m, who, room_id
        self.since = None
        self.seen = []        # event ids, in sync order, duplicates kept
        self.seen_at = {}     # event id -> monotonic time first seen
        self.typing = set()   # user ids typing, as last reported
        self.read = {}        # user id -> event id of its m.read, as last reported

    def poll(self, timeout_ms=2000):
        query = {"timeout": str(timeout_ms)}
        if self.since:
            query["since"] = self.since
        body = self.m.call(SYNC, "GET", C + "/sync", token=self.who["token"], query=query).body
        now = time.monotonic()
        self.since = body["next_batch"]
        room = body.get("rooms", {}).get("join", {}).get(self.room_id, {})
        for e in room.get("timeline", {}).get("events", []):
            if e["type"] == "m.room.message":
                self.seen.append(e["event_id"])
                self.seen_at.setdefault(e["event_id"], now)
        for e in room.get("ephemeral", {}).get("events", []):
            if e["type"] == "m.typing":
                self.typing = set(e["content"]["user_ids"])
            if e["type"] == "m.receipt":
                for event_id, types in e["content"].items():
                    for user_id in types.get("m.read", {}):
                        self.read[user_id] = event_id

    def wait_for(self, event_id, deadline_s=30):
        def got():
            self.poll()
            return event_id in self.seen_at
        until(f"{event_id} in {self.who['user_id']}'s sync", got, deadline_s)
        return self.seen_at[event_id]

    def wait_typing(self, user_id, typing, deadline_s=30):
        def got():
            self.poll(timeout_ms=1000)
            return (user_id in self.typing) == typing
        until(f"{user_id} typing={typing} in {self.who['user_id']}'s sync", got, deadline_s)

    def wait_read(self, user_id, event_id, deadline_s=30):
        def got():
            self.poll(timeout_ms=1000)
            return self.read.get(user_id) == event_id
        until(f"{user_id} read {event_id} in {self.who['user_id']}'s sync", got, deadline_s)


def send(m, who, room_id, text):
    r = m.call(SEND, "PUT", f"{C}/rooms/{q(room_id)}/send/m.room.message/{uuid.uuid4().hex}",
               {"msgtype": "m.text", "body": text}, token=who["token"])
    return r.body["event_id"], time.monotonic()


def history(m, who, room_id):
    """The room's message event ids on this server, oldest first (/messages)."""
    body = m.call(MESSAGES, "GET", f"{C}/rooms/{q(room_id)}/messages", token=who["token"],
                  query={"dir": "b", "limit": "100"}).body
    return [e["event_id"] for e in reversed(body["chunk"]) if e["type"] == "m.room.message"]


def v1_history(m, who, room_id):
    r = m.raw("GET", f"/v1/conversations/{q(room_id)}/messages", token=who["token"],
              query={"limit": "100"})
    ok(r.status == 200, f"/v1 history: {r}")
    return [x["message_id"] for x in reversed(r.body["messages"])]


def exactly_once_in_order(what, got, expected):
    ok(len(got) == len(set(got)), f"{what}: duplicates in {got}")
    ok([i for i in got if i in set(expected)] == expected,
       f"{what}: not in order or missing: {got} vs {expected}")


def refusals(hs2, bob, room_id):
    t = bob["token"]
    # A room the named server does not have: its make_join answers 404.
    hs2.call(None, "POST", f"{C}/join/{q('!nosuchroom:hs1.test')}", {}, token=t,
             query={"server_name": "hs1.test"}, expect=404, errcode="M_NOT_FOUND")
    # A server nobody can reach: a clear error, no 5xx with a stack, nothing created.
    r = hs2.raw("POST", f"{C}/join/{q('!x:unreachable.test')}", {}, token=t)
    ok(r.status in (502, 503) and r.body["errcode"] == "M_UNKNOWN", f"unreachable: {r}")
    # A room id that is not one, and the room id's own server is ours.
    hs2.call(None, "POST", f"{C}/join/notaroom", {}, token=t, expect=400,
             errcode="M_INVALID_PARAM")
    hs2.call(None, "POST", f"{C}/rooms/{q('!nosuchroom:hs2.test')}/join", {}, token=t,
             expect=404, errcode="M_NOT_FOUND")
    joined = hs2.call(JOINED, "GET", C + "/joined_rooms", token=t).body["joined_rooms"]
    ok(joined == [], f"no half-created room after failed joins: {joined}")
    ok(room_id not in joined, "not joined yet")


def phase_join(args, hs1, hs2):
    tag = uuid.uuid4().hex[:8]
    alice = account(hs1, "alice" + tag)
    bob = account(hs2, "bob" + tag)
    room = hs1.call(("create_room.yaml", "/createRoom"), "POST", C + "/createRoom",
                    {"preset": "public_chat", "name": "across servers"}, token=alice["token"])
    room_id = room.body["room_id"]
    private = hs1.call(("create_room.yaml", "/createRoom"), "POST", C + "/createRoom",
                       {"preset": "private_chat"}, token=alice["token"]).body["room_id"]
    # History before any member of hs2 is in the room: hs2 backfills it at the join.
    before = [send(hs1, alice, room_id, f"before bob {i}")[0] for i in range(3)]
    refusals(hs2, bob, room_id)
    hs2.call(None, "POST", f"{C}/join/{q(private)}", {}, token=bob["token"],
             query={"server_name": "hs1.test"}, expect=403, errcode="M_FORBIDDEN")
    joined = hs2.call(JOINED, "GET", C + "/joined_rooms", token=bob["token"]).body
    ok(joined["joined_rooms"] == [], f"nothing created after a refused join: {joined}")

    # bob finds the room by its alias on hs1: hs2 asks hs1 (query/directory).
    alias = f"#across{tag}:hs1.test"
    hs1.call(ALIAS, "PUT", f"{C}/directory/room/{q(alias)}", {"room_id": room_id},
             token=alice["token"])
    found = hs2.call(ALIAS, "GET", f"{C}/directory/room/{q(alias)}", token=bob["token"]).body
    ok(found["room_id"] == room_id and found["servers"][0] == "hs1.test",
       f"hs1's alias seen from hs2: {found}")
    hs2.call(ALIAS, "GET", f"{C}/directory/room/{q('#none' + tag + ':hs1.test')}",
             token=bob["token"], expect=404, errcode="M_NOT_FOUND")
    # The join, by the alias (no server_name): make_join/send_join on hs1,
    # the room created on hs2.
    t0 = time.monotonic()
    r = hs2.call(JOIN, "POST", f"{C}/join/{q(alias)}", {}, token=bob["token"])
    print(f"remote join took {(time.monotonic() - t0) * 1000:.0f} ms")
    ok(r.body["room_id"] == room_id, f"join answer: {r}")
    # Joining again is a local no-op; /rooms/{id}/join too.
    hs2.call(ROOM_JOIN, "POST", f"{C}/rooms/{q(room_id)}/join", {}, token=bob["token"])
    joined = hs2.call(JOINED, "GET", C + "/joined_rooms", token=bob["token"]).body
    ok(joined["joined_rooms"] == [room_id], f"bob's joined_rooms on hs2: {joined}")
    for m, who in ((hs1, alice), (hs2, bob)):
        members = m.call(MEMBERS, "GET", f"{C}/rooms/{q(room_id)}/joined_members",
                         token=who["token"]).body["joined"]
        ok(set(members) == {alice["user_id"], bob["user_id"]},
           f"members on {m.base}: {members}")
    conversations = hs2.raw("GET", "/v1/conversations", token=bob["token"])
    ok(any(c["conversation_id"] == room_id for c in conversations.body["conversations"]),
       f"/v1 conversations on hs2: {conversations}")
    # The history came with the join, in order, before bob's join.
    got = history(hs2, bob, room_id)
    ok(got == before, f"hs2 /messages after the join: {got}, want {before}")
    got = v1_history(hs2, bob, room_id)
    ok(got == before, f"hs2 /v1 history after the join: {got}, want {before}")
    timeline = hs2.call(MESSAGES, "GET", f"{C}/rooms/{q(room_id)}/messages",
                        token=bob["token"], query={"dir": "b", "limit": "100"}).body["chunk"]
    ids = [e["event_id"] for e in reversed(timeline)]
    bobs_join = next(e["event_id"] for e in timeline if e["type"] == "m.room.member"
                     and e.get("state_key") == bob["user_id"])
    ok(ids.index(before[-1]) < ids.index(bobs_join), "the history comes before bob's join")

    a_sync = Syncer(hs1, alice, room_id)
    b_sync = Syncer(hs2, bob, room_id)
    a_sync.poll(0)
    b_sync.poll(0)
    order, latencies = [], []
    for i in range(10):
        eid, sent_at = send(hs1, alice, room_id, f"from alice {i}")
        order.append(eid)
        latencies.append((b_sync.wait_for(eid) - sent_at) * 1000)
        eid, _ = send(hs2, bob, room_id, f"from bob {i}")
        order.append(eid)
        a_sync.wait_for(eid)
    latencies.sort()
    print(f"hs1 send -> hs2 /v3/sync latency over {len(latencies)} messages: "
          f"p50 {statistics.median(latencies):.0f} ms, max {latencies[-1]:.0f} ms")
    # Let both syncs settle, then everything was seen exactly once, in order.
    a_sync.poll(500)
    b_sync.poll(500)
    exactly_once_in_order("bob's sync", b_sync.seen, order)
    exactly_once_in_order("alice's sync", a_sync.seen, order)
    exactly_once_in_order("hs2 /messages", history(hs2, bob, room_id), before + order)
    exactly_once_in_order("hs1 /messages", history(hs1, alice, room_id), before + order)
    exactly_once_in_order("hs2 /v1 history", v1_history(hs2, bob, room_id), before + order)

    # Typing crosses both ways.
    hs1.call(TYPING, "PUT", f"{C}/rooms/{q(room_id)}/typing/{q(alice['user_id'])}",
             {"typing": True, "timeout": 30000}, token=alice["token"])
    b_sync.wait_typing(alice["user_id"], True)
    hs1.call(TYPING, "PUT", f"{C}/rooms/{q(room_id)}/typing/{q(alice['user_id'])}",
             {"typing": False}, token=alice["token"])
    b_sync.wait_typing(alice["user_id"], False)
    hs2.call(TYPING, "PUT", f"{C}/rooms/{q(room_id)}/typing/{q(bob['user_id'])}",
             {"typing": True, "timeout": 30000}, token=bob["token"])
    a_sync.wait_typing(bob["user_id"], True)

    # Read receipts cross both ways: alice's Matrix receipt on bob's last
    # message reaches bob's sync on hs2; bob's /v1 seen of alice's last
    # message (hs2's own seq for it) reaches alice's sync on hs1.
    hs1.call(RECEIPT, "POST",
             f"{C}/rooms/{q(room_id)}/receipt/m.read/{q(order[-1])}", {}, token=alice["token"])
    b_sync.wait_read(alice["user_id"], order[-1])
    page = hs2.raw("GET", f"/v1/conversations/{q(room_id)}/messages", token=bob["token"],
                   query={"limit": "100"})
    seq = next(x["seq"] for x in page.body["messages"] if x["message_id"] == order[-2])
    r = hs2.raw("POST", f"/v1/conversations/{q(room_id)}/seen", {"seq": seq}, token=bob["token"])
    ok(r.status == 204, f"/v1 seen on hs2: {r}")
    a_sync.wait_read(bob["user_id"], order[-2])
    concurrent_writes(hs1, hs2, alice, bob, room_id)
    e2ee(hs1, hs2, alice, bob)
    carol, dave = contacts(hs1, hs2)
    direct_room = direct_chat(hs1, hs2, carol, dave)
    unfriend(hs1, hs2, carol, dave)
    read_only_after_unfriend(hs1, hs2, carol, dave, direct_room)
    print("direct room across servers: opened by a contact, read-only after unfriending")
    tag = uuid.uuid4().hex[:8]
    erin, frank = friends_across(hs1, hs2, "gerin" + tag, "gfrank" + tag)
    crossed = direct_glare(hs1, hs2, erin, frank)
    print(f"direct rooms opened at once from both servers: {'two rooms, ' if crossed else ''}"
          "the next messages meet in one")

    with open(args.state, "w") as f:
        json.dump({"alice": alice, "bob": bob, "room_id": room_id, "before": before,
                   "order": order}, f)


def phase_down(args, hs1, state):
    sent = [send(hs1, state["alice"], state["room_id"], f"while hs2 is down {i}")[0]
            for i in range(5)]
    state["down"] = sent
    with open(args.state, "w") as f:
        json.dump(state, f)


def phase_up(args, hs1, hs2, state):
    bob, room_id, down = state["bob"], state["room_id"], state["down"]
    order = state["order"] + down

    def arrived():
        got = history(hs2, bob, room_id)
        return got if all(i in got for i in down) else None
    got = until("the messages sent while hs2 was down", arrived, 120)
    exactly_once_in_order("hs2 /messages after the outage", got, order)
    exactly_once_in_order("hs2 /v1 history after the outage", v1_history(hs2, bob, room_id),
                          order)
    # And a message from hs2 still reaches hs1 after them.
    eid, _ = send(hs2, bob, room_id, "back again")
    until("bob's message on hs1 after the outage",
          lambda: eid in history(hs1, state["alice"], room_id), 60)
    exactly_once_in_order("hs1 /messages at the end", history(hs1, state["alice"], room_id),
                          order + [eid])
    # For the bus checks of the test binary: each server's own users' messages
    # in this room (alice's on hs1, bob's on hs2; order alternates them).
    state["from_hs1"] = state["before"] + state["order"][0::2] + down
    state["from_hs2"] = state["order"][1::2] + [eid]
    with open(args.state, "w") as f:
        json.dump(state, f)

    # bob leaves on hs2: the leave reaches hs1 (the sender sends it to the
    # room's servers before and after it), and hs1 stops counting bob in.
    hs2.call(("leaving.yaml", "/rooms/{roomId}/leave"), "POST",
             f"{C}/rooms/{q(room_id)}/leave", {}, token=bob["token"])

    def bob_gone():
        members = hs1.call(MEMBERS, "GET", f"{C}/rooms/{q(room_id)}/joined_members",
                           token=state["alice"]["token"]).body["joined"]
        return set(members) == {state["alice"]["user_id"]}
    until("bob's leave on hs1", bob_gone, 60)
    joined = hs2.call(JOINED, "GET", C + "/joined_rooms", token=bob["token"]).body
    ok(room_id not in joined["joined_rooms"], f"bob's joined_rooms on hs2: {joined}")
    invites(hs1, hs2, state)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hs1", required=True)
    parser.add_argument("--hs2", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--phase", required=True, choices=["join", "down", "up"])
    args = parser.parse_args()
    hs1, hs2 = MatrixHttp(args.hs1), MatrixHttp(args.hs2)
    if args.phase == "join":
        phase_join(args, hs1, hs2)
    else:
        with open(args.state) as f:
            state = json.load(f)
        if args.phase == "down":
            phase_down(args, hs1, state)
        else:
            phase_up(args, hs1, hs2, state)
    print(f"phase {args.phase}: ok ({hs1.checked + hs2.checked} answers checked against the spec)")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
