"""Matrix room writes against a running messenger: send (idempotent per
transaction id), state, redact, GET /event and the membership endpoints,
with the /v1 view of the same facts and every refusal. Each answer is
validated against the spec's response schema and each event against its
event schema.

    /usr/bin/python3 room_writes_test.py --base http://127.0.0.1:8080

Exit status 0 when every check passes.
"""
import argparse
import json
import os
import sys
import uuid

import jsonschema

from matrix_http import C, CREATE, MatrixHttp, account, befriend, ok, q, until
from rooms_test import conversation

SEND = ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")
STATE = ("room_state.yaml", "/rooms/{roomId}/state/{eventType}/{stateKey}")
REDACT = ("redaction.yaml", "/rooms/{roomId}/redact/{eventId}/{txnId}")
EVENT = ("rooms.yaml", "/rooms/{roomId}/event/{eventId}")
# The spec document spells this path with a trailing space.
INVITE = ("inviting.yaml", "/rooms/{roomId}/invite ")
JOIN = ("joining.yaml", "/rooms/{roomId}/join")
JOIN_ANY = ("joining.yaml", "/join/{roomIdOrAlias}")
LEAVE = ("leaving.yaml", "/rooms/{roomId}/leave")
FORGET = ("leaving.yaml", "/rooms/{roomId}/forget")
KICK = ("kicking.yaml", "/rooms/{roomId}/kick")
BAN = ("banning.yaml", "/rooms/{roomId}/ban")
UNBAN = ("banning.yaml", "/rooms/{roomId}/unban")


def check_event(m, event):
    """Validates a client event against its type's event schema (when the
    spec copy has one)."""
    schemas = os.path.join(m.spec.api_dir, "..", "..", "event-schemas", "schema")
    path = os.path.join(schemas, event["type"] + ".yaml")
    if not event["content"]:  # redacted: only the envelope is left
        path = os.path.join(schemas, "core-event-schema", "room_event.yaml")
    if not os.path.exists(path):
        return
    schema = m.spec._resolve(m.spec._load(path), os.path.normpath(path))
    jsonschema.validate(event, schema, cls=jsonschema.Draft202012Validator)
    m.checked += 1


def send(m, who, room, txn, content, event_type="m.room.message", expect=200, errcode=None):
    spec = SEND if expect == 200 else None
    return m.call(spec, "PUT", f"{C}/rooms/{q(room)}/send/{q(event_type)}/{q(txn)}", content,
                  token=who["token"], expect=expect, errcode=errcode)


def event(m, who, room, event_id, expect=200, errcode=None):
    reply = m.call(EVENT if expect == 200 else None, "GET",
                   f"{C}/rooms/{q(room)}/event/{q(event_id)}", token=who["token"],
                   expect=expect, errcode=errcode)
    if expect == 200:
        check_event(m, reply.body)
    return reply


def member(m, who, room, action, spec, body=None, expect=200, errcode=None):
    return m.call(spec if expect == 200 else None, "POST", f"{C}/rooms/{q(room)}/{action}",
                  body if body is not None else {}, token=who["token"], expect=expect,
                  errcode=errcode)


def history(m, who, room):
    got = m.raw("GET", f"/v1/conversations/{room}/messages", token=who["token"])
    ok(got.status == 200, f"/v1 history: {got}")
    return got.body["messages"]


def v1_members(m, who, room):
    got = m.raw("GET", f"/v1/conversations/{room}", token=who["token"])
    return sorted(x["user_id"] for x in got.body["members"]) if got.status == 200 else None


def sends(m, alice, bob):
    """A Matrix message is a /v1 message (history, sync); retries are
    idempotent; a /v1 message is readable through /event; a Matrix redaction
    deletes it in /v1."""
    direct = m.call(CREATE, "POST", C + "/createRoom",
                    {"is_direct": True, "preset": "trusted_private_chat",
                     "invite": [bob["user_id"]]}, token=alice["token"]).body["room_id"]
    since = m.raw("GET", "/v1/sync", token=bob["token"]).body["next"]
    txn = "txn-" + uuid.uuid4().hex
    content = {"msgtype": "m.text", "body": "hello from matrix"}
    first = send(m, alice, direct, txn, content).body["event_id"]
    again = send(m, alice, direct, txn, content).body["event_id"]
    ok(first == again, f"a retry answers the same event: {first} != {again}")
    other_device = account_login(m, alice)
    third = send(m, other_device, direct, txn, content).body["event_id"]
    ok(third != first, "another device's transaction ids are its own")
    texts = [x for x in history(m, bob, direct) if x["message_id"] == first]
    ok(len(texts) == 1 and texts[0]["text"] == "hello from matrix",
       f"the Matrix message is in bob's /v1 history once: {texts}")

    def synced():
        got = m.raw("GET", "/v1/sync", token=bob["token"],
                    query={"since": since, "timeout_ms": 1000})
        ok(got.status == 200, f"/v1/sync: {got}")
        return any(e.get("type") == "message" and e["message"]["message_id"] == first
                   for e in got.body["events"])
    until("the Matrix message in bob's /v1 sync", synced)
    conv = until("an unread count", lambda: conversation(m, bob, direct))
    ok(conv["unread_count"] >= 2, f"the Matrix messages count as unread in /v1: {conv}")

    # A /v1 message of the same session, read through Matrix: its
    # client_msg_id equal to a txnId is another key.
    sent = m.raw("POST", "/v1/messages", {"conversation_id": direct, "text": "over /v1",
                                          "client_msg_id": txn}, token=alice["token"])
    ok(sent.status == 201, f"/v1 send (a client_msg_id equal to a txnId is no clash): {sent}")
    got = event(m, bob, direct, sent.body["message_id"]).body
    ok(got["content"]["body"] == "over /v1" and got["sender"] == alice["user_id"],
       f"/event of a /v1 message: {got}")
    mine = event(m, bob, direct, first).body
    ok(mine["content"]["body"] == "hello from matrix", f"/event of a Matrix message: {mine}")

    # Other event types: written, readable, not /v1 messages.
    custom = send(m, alice, direct, "c-" + txn, {"x": 1}, event_type="org.example.note")
    custom_id = custom.body["event_id"]
    ok(send(m, alice, direct, "c-" + txn, {"x": 1},
            event_type="org.example.note").body["event_id"] == custom_id, "custom retry")
    ok(event(m, bob, direct, custom_id).body["content"] == {"x": 1}, "custom event content")
    ok(all(x["message_id"] != custom_id for x in history(m, bob, direct)),
       "a custom event is no /v1 message")
    send(m, alice, direct, "r-" + txn, {"msgtype": "m.notice", "body": "a notice"})

    # Redaction: /v1 shows the message deleted; a retry answers the same id.
    rtxn = "redact-" + txn
    path = f"{C}/rooms/{q(direct)}/redact/{q(first)}/{q(rtxn)}"
    redaction = m.call(REDACT, "PUT", path, {"reason": "typo"}, token=alice["token"]).body
    ok(m.call(REDACT, "PUT", path, {"reason": "typo"}, token=alice["token"]).body == redaction,
       "a redaction retry answers the same event")
    gone = [x for x in history(m, bob, direct) if x["message_id"] == first]
    ok(gone and gone[0].get("deleted") is True and gone[0]["text"] == "",
       f"the redacted message is deleted in /v1: {gone}")
    ok(m.raw("DELETE", f"/v1/messages/{first}", token=alice["token"]).status == 409,
       "deleted once: /v1 sees it deleted")
    redacted = event(m, bob, direct, first).body
    ok(redacted["content"] == {}, f"the stored event is redacted: {redacted}")
    red = event(m, bob, direct, redaction["event_id"]).body
    ok(red["type"] == "m.room.redaction" and red["redacts"] == first, f"redaction: {red}")
    # Bob may not redact alice's message in their direct room.
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/redact/{q(third)}/x1", {}, token=bob["token"],
           expect=403, errcode="M_FORBIDDEN")
    # A state event is redacted with the room version's algorithm.
    topic = m.call(STATE, "PUT", f"{C}/rooms/{q(direct)}/state/m.room.topic/",
                   {"topic": "secret"}, token=alice["token"]).body["event_id"]
    m.call(REDACT, "PUT", f"{C}/rooms/{q(direct)}/redact/{q(topic)}/t-{txn}", {},
           token=alice["token"])
    ok(event(m, alice, direct, topic).body["content"] == {}, "redacted topic")
    return direct, txn, first


def own_transaction_ids(m, alice):
    """unsigned.transaction_id names the txnId to the device that sent the
    event, and to no other: clients match their local echo by it when the
    sync answers before the send does. A redaction keeps its reason."""
    phone = account_login(m, alice)
    room = m.call(CREATE, "POST", C + "/createRoom", {"preset": "public_chat"},
                  token=alice["token"]).body["room_id"]
    sync = ("sync.yaml", "/sync")
    tokens = {}
    for name, who in (("sender", alice), ("phone", phone)):
        tokens[name] = m.call(sync, "GET", C + "/sync", token=who["token"],
                              query={"timeout": "0"}).body["next_batch"]
    txn = "own-" + uuid.uuid4().hex
    sent = send(m, alice, room, txn, {"msgtype": "m.text", "body": "mine"}).body["event_id"]
    path = f"{C}/rooms/{q(room)}/redact/{q(sent)}/{q('r' + txn)}"
    redaction = m.call(REDACT, "PUT", path, {"reason": "oops"}, token=alice["token"]).body

    def timeline(who, name):
        body = m.call(sync, "GET", C + "/sync", token=who["token"],
                      query={"since": tokens[name], "timeout": "1000"}).body
        events = body.get("rooms", {}).get("join", {}).get(room, {}).get("timeline", {})
        got = {e["event_id"]: e for e in events.get("events", [])}
        return got if redaction["event_id"] in got else None
    mine = until("the redaction in the sender's sync", lambda: timeline(alice, "sender"))
    ok(mine[sent]["unsigned"].get("transaction_id") == txn,
       f"the sender's device sees its txnId: {mine[sent]}")
    red = mine[redaction["event_id"]]
    ok(red["unsigned"].get("transaction_id") == "r" + txn, f"and the redaction's: {red}")
    ok(red["content"] == {"reason": "oops"}, f"the redaction keeps its reason: {red}")
    theirs = until("the redaction in the phone's sync", lambda: timeline(phone, "phone"))
    for event_id in (sent, redaction["event_id"]):
        ok("transaction_id" not in theirs[event_id]["unsigned"],
           f"another device of the same user sees no txnId: {theirs[event_id]}")


def account_login(m, who):
    """A second session (device) of the same account."""
    got = m.call(None, "POST", C + "/login",
                 {"type": "m.login.password",
                  "identifier": {"type": "m.id.user", "user": who["user_id"]},
                  "password": "correct horse battery"})
    return {**who, "token": got.body["access_token"]}


def state(m, alice, bob, group):
    put = m.call(STATE, "PUT", f"{C}/rooms/{q(group)}/state/m.room.topic/",
                 {"topic": "plans"}, token=alice["token"]).body
    got = m.call(None, "GET", f"{C}/rooms/{q(group)}/state/m.room.topic",
                 token=alice["token"]).body
    ok(got == {"topic": "plans"}, f"the state PUT is the state: {got}")
    check_event(m, event(m, alice, group, put["event_id"]).body)
    m.call(STATE, "PUT", f"{C}/rooms/{q(group)}/state/m.room.name", {"name": "Renamed"},
           token=alice["token"])
    details = m.raw("GET", f"/v1/conversations/{group}", token=alice["token"]).body
    ok(details.get("name") == "Renamed" and details.get("topic") == "plans",
       f"/v1 sees the Matrix state: {details}")
    m.call(STATE, "PUT", f"{C}/rooms/{q(group)}/state/org.example.custom/some-key",
           {"v": True}, token=alice["token"])
    ok(m.call(None, "GET", f"{C}/rooms/{q(group)}/state/org.example.custom/some-key",
              token=alice["token"]).body == {"v": True}, "custom state with a key")
    # Bob (power 0) may not change the name (state_default 50).
    m.call(None, "PUT", f"{C}/rooms/{q(group)}/state/m.room.name", {"name": "Mine"},
           token=bob["token"], expect=403, errcode="M_FORBIDDEN")
    for kind in ("m.room.member", "m.room.create"):
        m.call(None, "PUT", f"{C}/rooms/{q(group)}/state/{kind}/{q(bob['user_id'])}",
               {"membership": "join"}, token=alice["token"], expect=403, errcode="M_FORBIDDEN")


def membership(m, alice, bob, carol):
    """Plain Matrix semantics, the /v1 view in step, the contact policy."""
    group = m.call(CREATE, "POST", C + "/createRoom", {"name": "Writes", "preset": "private_chat"},
                   token=alice["token"]).body["room_id"]
    member(m, alice, group, "invite", INVITE, {"user_id": bob["user_id"]})
    ok(v1_members(m, alice, group) == [alice["uuid"]], "an invite is only an invite")
    # Bob cannot write before joining.
    send(m, bob, group, "early", {"msgtype": "m.text", "body": "x"}, expect=403,
         errcode="M_FORBIDDEN")
    joined = m.call(JOIN_ANY, "POST", f"{C}/join/{q(group)}", {}, token=bob["token"]).body
    ok(joined == {"room_id": group}, f"join answers the room: {joined}")
    ok(v1_members(m, alice, group) == sorted([alice["uuid"], bob["uuid"]]),
       "the Matrix join is a /v1 member")
    ok(until("the group in bob's /v1 list", lambda: conversation(m, bob, group)),
       "bob sees the group in /v1")
    state(m, alice, bob, group)
    before = send(m, alice, group, "before-leave", {"msgtype": "m.text", "body": "1"})
    # Without power: bob may not kick alice, nor ban her.
    member(m, bob, group, "kick", KICK, {"user_id": alice["user_id"]}, expect=403,
           errcode="M_FORBIDDEN")
    member(m, bob, group, "ban", BAN, {"user_id": alice["user_id"]}, expect=403,
           errcode="M_FORBIDDEN")
    # The contact policy: carol is nobody's friend; a private room invites contacts only.
    refused = member(m, alice, group, "invite", INVITE, {"user_id": carol["user_id"]},
                     expect=403, errcode="M_FORBIDDEN")
    ok("contact" in refused.body["error"], f"a clear reason: {refused}")
    # Carol may not join uninvited, nor read, nor write.
    member(m, carol, group, "join", JOIN, expect=403, errcode="M_FORBIDDEN")
    event(m, carol, group, before.body["event_id"], expect=404, errcode="M_NOT_FOUND")
    send(m, carol, group, "c1", {"msgtype": "m.text", "body": "x"}, expect=403,
         errcode="M_FORBIDDEN")

    # A kick removes bob in /v1 too; what he saw before stays his to read.
    member(m, alice, group, "kick", KICK, {"user_id": bob["user_id"], "reason": "tidy"})
    ok(v1_members(m, alice, group) == [alice["uuid"]], "the kick is a /v1 removal")
    after = send(m, alice, group, "after-kick", {"msgtype": "m.text", "body": "2"})
    event(m, bob, group, before.body["event_id"])
    event(m, bob, group, after.body["event_id"], expect=404, errcode="M_NOT_FOUND")
    member(m, bob, group, "join", JOIN, expect=403, errcode="M_FORBIDDEN")
    # Invited again, bob joins with /rooms/{id}/join, leaves, forgets.
    member(m, alice, group, "invite", INVITE, {"user_id": bob["user_id"]})
    ok(member(m, bob, group, "join", JOIN).body == {"room_id": group}, "join by room")
    member(m, bob, group, "forget", FORGET, expect=400)  # still joined
    member(m, bob, group, "leave", LEAVE)
    ok(v1_members(m, alice, group) == [alice["uuid"]], "the leave is a /v1 leave")
    member(m, bob, group, "forget", FORGET)
    # Ban, then join → refused; unban, invite, join.
    member(m, alice, group, "ban", BAN, {"user_id": bob["user_id"], "reason": "spam"})
    member(m, bob, group, "join", JOIN, expect=403, errcode="M_FORBIDDEN")
    member(m, alice, group, "invite", INVITE, {"user_id": bob["user_id"]}, expect=403,
           errcode="M_FORBIDDEN")
    member(m, alice, group, "unban", UNBAN, {"user_id": bob["user_id"]})
    member(m, alice, group, "unban", UNBAN, {"user_id": bob["user_id"]}, expect=400)
    member(m, alice, group, "invite", INVITE, {"user_id": bob["user_id"]})
    member(m, bob, group, "leave", LEAVE)  # declines the invite
    member(m, alice, group, "invite", INVITE, {"user_id": bob["user_id"]})
    member(m, bob, group, "join", JOIN)
    # From bob's second send on, room and sender are known in memory and a
    # message is written without reads first: a retry still answers the
    # original, also once a new send of his is refused.
    body, kept = {"msgtype": "m.text", "body": "kept"}, "kept-" + uuid.uuid4().hex
    send(m, bob, group, "warm-" + kept, body)
    sent = send(m, bob, group, kept, body).body["event_id"]
    ok(send(m, bob, group, kept, body).body["event_id"] == sent, "a retry answers the original")
    # A banned member is removed in /v1.
    member(m, alice, group, "ban", BAN, {"user_id": bob["user_id"]})
    ok(send(m, bob, group, kept, body).body["event_id"] == sent,
       "a retry after the ban answers the original")
    send(m, bob, group, "new-" + kept, body, expect=403, errcode="M_FORBIDDEN")
    ok(v1_members(m, alice, group) == [alice["uuid"]], "the ban is a /v1 removal")

    # Public rooms follow plain Matrix rules: non-friends are invited or join.
    public = m.call(CREATE, "POST", C + "/createRoom", {"preset": "public_chat"},
                    token=alice["token"]).body["room_id"]
    member(m, alice, public, "invite", INVITE, {"user_id": carol["user_id"]})
    member(m, carol, public, "join", JOIN)
    member(m, bob, public, "join", JOIN)
    ok(v1_members(m, alice, public) ==
       sorted([alice["uuid"], bob["uuid"], carol["uuid"]]), "public joins are /v1 members")
    return group


def refusals(m, alice, carol, direct, group):
    t = alice["token"]
    nowhere = "!nowhere:localhost"
    body = {"msgtype": "m.text", "body": "x"}
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/send/m.room.message/n1", body, expect=401,
           errcode="M_MISSING_TOKEN")
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/send/m.room.message/n1", body, token="nope",
           expect=401, errcode="M_UNKNOWN_TOKEN")
    m.call(None, "POST", f"{C}/rooms/{q(direct)}/invite", {"user_id": carol["user_id"]},
           expect=401, errcode="M_MISSING_TOKEN")
    send(m, alice, nowhere, "n2", body, expect=404, errcode="M_NOT_FOUND")
    m.call(None, "PUT", f"{C}/rooms/{q(nowhere)}/state/m.room.topic", {"topic": "x"}, token=t,
           expect=404, errcode="M_NOT_FOUND")
    event(m, alice, nowhere, "$nothing", expect=404, errcode="M_NOT_FOUND")
    event(m, alice, direct, "$nothing", expect=404, errcode="M_NOT_FOUND")
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/redact/{q('$nothing')}/n3", {}, token=t,
           expect=404, errcode="M_NOT_FOUND")
    for action in ("join", "leave", "forget"):
        member(m, alice, nowhere, action, None, expect=404, errcode="M_NOT_FOUND")
    member(m, alice, nowhere, "invite", None, {"user_id": carol["user_id"]}, expect=404,
           errcode="M_NOT_FOUND")
    m.call(None, "POST", f"{C}/join/{q('#somewhere:localhost')}", {}, token=t, expect=404,
           errcode="M_NOT_FOUND")
    # Other users' rooms.
    send(m, carol, direct, "n4", body, expect=403, errcode="M_FORBIDDEN")
    member(m, carol, direct, "leave", None, expect=403, errcode="M_FORBIDDEN")
    m.call(None, "PUT", f"{C}/rooms/{q(group)}/state/m.room.topic", {"topic": "x"},
           token=carol["token"], expect=403, errcode="M_FORBIDDEN")
    # Wrong JSON.
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/send/m.room.message/n5", b"{not json", token=t,
           expect=400, errcode="M_NOT_JSON")
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/send/m.room.message/n6", [1], token=t,
           expect=400, errcode="M_BAD_JSON")
    send(m, alice, direct, "n7", {"msgtype": "m.text", "body": 5}, expect=400)
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/state/m.room.topic", b"[]", token=t,
           expect=400, errcode="M_BAD_JSON")
    m.call(None, "PUT", f"{C}/rooms/{q(direct)}/redact/{q('$x')}/n8", {"reason": 5}, token=t,
           expect=400, errcode="M_BAD_JSON")
    for action in ("invite", "kick", "ban", "unban"):
        member(m, alice, group, action, None, {"user_id": 5}, expect=400, errcode="M_BAD_JSON")
        member(m, alice, group, action, None, {}, expect=400, errcode="M_MISSING_PARAM")
    member(m, alice, group, "invite", None, {"user_id": "@nobody:localhost"}, expect=404,
           errcode="M_NOT_FOUND")
    member(m, alice, group, "kick", None, {"user_id": alice["user_id"]}, expect=400)
    member(m, alice, group, "leave", None, {"reason": []}, expect=400, errcode="M_BAD_JSON")
    # Inviting into a direct room: exactly two members.
    member(m, alice, direct, "invite", None, {"user_id": carol["user_id"]}, expect=403,
           errcode="M_FORBIDDEN")


def friendship_ended(m, alice, bob, direct, txn, first):
    gone = m.raw("DELETE", f"/v1/contacts/{bob['uuid']}", token=alice["token"])
    ok(gone.status == 204, f"unfriend: {gone}")
    until("the direct room refusing", lambda: _refused(m, alice, direct))
    # A retry of what was sent while friends still answers the original.
    again = send(m, alice, direct, txn, {"msgtype": "m.text", "body": "hello from matrix"})
    ok(again.body["event_id"] == first, "a retry after unfriending answers the original")


def _refused(m, alice, direct):
    got = m.raw("PUT", f"{C}/rooms/{q(direct)}/send/m.room.message/late-{uuid.uuid4().hex}",
                {"msgtype": "m.text", "body": "late"}, token=alice["token"])
    ok(got.status in (200, 403), f"a send after unfriending: {got}")
    if got.status == 403:
        ok(got.body["errcode"] == "M_FORBIDDEN", f"the errcode: {got}")
        return True
    return False


def across_restart(m, phase, path):
    """A txnId is durable: "send" sends and notes the answer in `path`;
    "resend" (after messaging restarted) must get the same event back."""
    content = {"msgtype": "m.text", "body": "before the restart"}
    if phase == "send":
        alice, bob = (account(m, n) for n in ("rsalice", "rsbob"))
        befriend(m, alice, bob)
        room = m.call(CREATE, "POST", C + "/createRoom",
                      {"is_direct": True, "invite": [bob["user_id"]]},
                      token=alice["token"]).body["room_id"]
        first = send(m, alice, room, "durable-1", content).body["event_id"]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"alice": alice, "bob": bob, "room": room, "event_id": first}, f)
        return
    with open(path, encoding="utf-8") as f:
        noted = json.load(f)
    again = send(m, noted["alice"], noted["room"], "durable-1", content).body["event_id"]
    ok(again == noted["event_id"], f"the retry after a restart: {again} != {noted}")
    copies = [x for x in history(m, noted["bob"], noted["room"])
              if x["text"] == "before the restart"]
    ok(len(copies) == 1, f"one message in /v1: {copies}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--restart-phase", choices=("send", "resend"))
    parser.add_argument("--notes", help="the file the restart phases share")
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    if args.restart_phase:
        across_restart(m, args.restart_phase, args.notes)
        print(f"room_writes_test {args.restart_phase}: ok")
        return 0
    alice, bob, carol = (account(m, n) for n in ("rwalice", "rwbob", "rwcarol"))
    befriend(m, alice, bob)
    direct, txn, first = sends(m, alice, bob)
    own_transaction_ids(m, alice)
    group = membership(m, alice, bob, carol)
    refusals(m, alice, carol, direct, group)
    friendship_ended(m, alice, bob, direct, txn, first)
    print(f"room_writes_test: ok ({m.checked} answers and events validated against the spec)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
