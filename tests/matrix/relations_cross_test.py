"""Edits, reactions, replies, member changes and typing are the same facts
through /v1 and the Matrix client API, both ways, over HTTP: what one API
does, the other shows (Matrix /sync validated against the spec's schemas,
/v1 history and sync), and the Matrix refusals answer the spec's errors,
never a 5xx.

    /usr/bin/python3 relations_cross_test.py --base URL --notes FILE

FILE receives the ids the caller checks on the bus (message.edited once for
the Matrix edit, added_by of the Matrix join). Exit status 0 when every
check passes.
"""
import argparse
import json
import sys
import uuid

from matrix_http import C, CREATE, MatrixHttp, account, befriend, ok, q, until
from sync_test import EventSchemas, TYPING, send_v1, sync

SEND = ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")
REDACT = ("redaction.yaml", "/rooms/{roomId}/redact/{eventId}/{txnId}")
JOIN = ("joining.yaml", "/rooms/{roomId}/join")
# The spec document spells this path with a trailing space.
INVITE = ("inviting.yaml", "/rooms/{roomId}/invite ")
PARTY = "\U0001F389"
THUMBS = "\U0001F44D"


def send(m, who, room, content, event_type="m.room.message", txn=None, expect=200,
         errcode=None):
    txn = txn or "t-" + uuid.uuid4().hex
    reply = m.call(SEND if expect == 200 else None, "PUT",
                   f"{C}/rooms/{q(room)}/send/{q(event_type)}/{q(txn)}", content,
                   token=who["token"], expect=expect, errcode=errcode)
    return reply.body.get("event_id") if expect == 200 else reply


def script_start(names):
    """For a script run with --base URL: the client, the event schemas, a
    fresh tag and an account per name (named name+tag)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    m = MatrixHttp(parser.parse_args().base)
    tag = uuid.uuid4().hex[:8]
    return m, EventSchemas(m), tag, [account(m, f"{n}{tag}") for n in names]


def private_room(m, owner, name, members):
    """A private_chat room of `owner` that each of `members` (friends of the
    owner) was invited to and joined."""
    room = m.call(CREATE, "POST", C + "/createRoom", {"name": name, "preset": "private_chat"},
                  token=owner["token"]).body["room_id"]
    for who in members:
        m.call(INVITE, "POST", f"{C}/rooms/{q(room)}/invite", {"user_id": who["user_id"]},
               token=owner["token"])
        m.call(JOIN, "POST", f"{C}/rooms/{q(room)}/join", {}, token=who["token"])
    return room


def edit_content(target, text):
    return {"msgtype": "m.text", "body": "* " + text,
            "m.new_content": {"msgtype": "m.text", "body": text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": target}}


def reaction_content(target, key):
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}


def v1(m, who, method, path, body=None, expect=None):
    got = m.raw(method, path, body, token=who["token"])
    ok(got.status < 500, f"{method} {path}: never a 5xx: {got}")
    if expect is not None:
        ok(got.status == expect, f"{method} {path}: expected {expect}, got {got}")
    return got


def history(m, who, room):
    got = v1(m, who, "GET", f"/v1/conversations/{room}/messages", expect=200)
    return {x["message_id"]: x for x in got.body["messages"]}


def v1_sync_until(m, who, since, what, done):
    """/v1/sync events from `since` until done(events) holds (bounded)."""
    events = []

    def poll():
        nonlocal since
        got = m.raw("GET", "/v1/sync", token=who["token"],
                    query={"since": since, "timeout_ms": 1000})
        ok(got.status == 200, f"/v1/sync: {got}")
        since = got.body["next"]
        events.extend(got.body["events"])
        return done(events)
    until(what, poll, deadline_s=30)
    return events


def matrix_sync_until(m, who, since, room, what, done, schemas):
    """Bob's Matrix /sync (each answer and event validated) from `since`
    until done(timeline, ephemeral) holds for the room (bounded)."""
    timeline, ephemeral = [], []

    def poll():
        nonlocal since
        body = sync(m, who, since, timeout=1000, events=schemas)
        since = body["next_batch"]
        joined = body["rooms"]["join"].get(room, {})
        timeline.extend(joined.get("timeline", {}).get("events", []))
        ephemeral.extend(joined.get("ephemeral", {}).get("events", []))
        return done(timeline, ephemeral)
    until(what, poll, deadline_s=30)
    return timeline, ephemeral


def relates(event):
    return event.get("content", {}).get("m.relates_to", {})


def v1_to_matrix(m, alice, bob, carol, group, schemas):
    """Done through /v1, seen by bob's Matrix client in /sync."""
    since = sync(m, bob, events=schemas)["next_batch"]
    m1 = send_v1(m, alice, group, "original over v1")
    v1(m, alice, "PATCH", f"/v1/messages/{q(m1)}", {"text": "edited over v1"}, expect=200)
    v1(m, bob, "POST", f"/v1/messages/{q(m1)}/reactions/{q(THUMBS)}", expect=204)
    reply = v1(m, alice, "POST", "/v1/messages",
               {"conversation_id": group, "text": "a reply over v1", "reply_to": m1,
                "client_msg_id": str(uuid.uuid4())}, expect=201).body["message_id"]
    v1(m, alice, "PUT", f"/v1/conversations/{q(group)}/typing", {"typing": True}, expect=204)
    v1(m, alice, "POST", f"/v1/conversations/{q(group)}/members",
       {"member_ids": [carol["uuid"]]}, expect=200)

    def seen(timeline, ephemeral):
        edit = any(relates(e).get("rel_type") == "m.replace" and relates(e)["event_id"] == m1
                   and e["content"]["m.new_content"]["body"] == "edited over v1"
                   for e in timeline)
        reaction = any(e["type"] == "m.reaction" and relates(e).get("key") == THUMBS
                       and relates(e)["event_id"] == m1 and e["sender"] == bob["user_id"]
                       for e in timeline)
        replied = any(e["event_id"] == reply and
                      relates(e).get("m.in_reply_to", {}).get("event_id") == m1
                      for e in timeline)
        member = any(e["type"] == "m.room.member" and e["state_key"] == carol["user_id"]
                     and e["content"]["membership"] == "join" for e in timeline)
        typing = any(e["type"] == "m.typing" and alice["user_id"] in e["content"]["user_ids"]
                     for e in ephemeral)
        return edit and reaction and replied and member and typing
    matrix_sync_until(m, bob, since, group, "the /v1 edit, reaction, reply, member and typing "
                      "in bob's Matrix sync", seen, schemas)
    v1(m, alice, "PUT", f"/v1/conversations/{q(group)}/typing", {"typing": False}, expect=204)


def matrix_edit(m, alice, bob, group, ctx):
    """A Matrix edit (m.replace) is /v1's edit: retried, it is the same event."""
    b1 = ctx["b1"]
    txn = "edit-" + uuid.uuid4().hex
    ctx["edit"] = send(m, bob, group, edit_content(b1, "fixed over matrix"), txn=txn)
    ok(send(m, bob, group, edit_content(b1, "fixed over matrix"), txn=txn) == ctx["edit"],
       "an edit's retry answers the same event")
    seen = history(m, alice, group)
    ok(seen[b1]["text"] == "fixed over matrix" and "edited_at" in seen[b1],
       f"the Matrix edit is the /v1 edit: {seen[b1]}")
    ok(ctx["edit"] not in seen, "an edit is no message of its own in /v1 history")


def matrix_reaction(m, alice, bob, group, ctx):
    """A Matrix reaction (m.annotation) is /v1's: one per user and key; its
    redaction is /v1's DELETE .../reactions/{key}."""
    b1 = ctx["b1"]
    rtxn = "react-" + uuid.uuid4().hex
    reaction = send(m, alice, group, reaction_content(b1, PARTY), "m.reaction", txn=rtxn)
    ok(send(m, alice, group, reaction_content(b1, PARTY), "m.reaction", txn=rtxn) == reaction,
       "a reaction's retry answers the same event")
    ctx["reaction"] = reaction
    counts = history(m, bob, group)[b1].get("reactions")
    ok(counts == [{"key": PARTY, "count": 1, "me": False}],
       f"the Matrix reaction counts in /v1: {counts}")
    send(m, alice, group, reaction_content(b1, PARTY), "m.reaction", expect=400,
         errcode="M_DUPLICATE_ANNOTATION")
    v1(m, alice, "POST", f"/v1/messages/{q(b1)}/reactions/{q(PARTY)}", expect=409)
    m.call(REDACT, "PUT", f"{C}/rooms/{q(group)}/redact/{q(reaction)}/{q('un-' + rtxn)}", {},
           token=alice["token"])
    ok(not history(m, bob, group)[b1].get("reactions"), "the redacted reaction is gone in /v1")
    v1(m, alice, "DELETE", f"/v1/messages/{q(b1)}/reactions/{q(PARTY)}", expect=404)
    v1(m, alice, "POST", f"/v1/messages/{q(b1)}/reactions/{q(PARTY)}", expect=204)


def matrix_reply_typing_sync(m, alice, bob, group, ctx):
    """A Matrix reply shows reply_to; Matrix typing, the edit and the
    reaction show in alice's /v1 sync."""
    b1 = ctx["b1"]
    reply = send(m, alice, group, {"msgtype": "m.text", "body": "> from matrix\n\nan answer",
                                   "m.relates_to": {"m.in_reply_to": {"event_id": b1}}})
    ok(history(m, bob, group)[reply].get("reply_to") == b1, "reply_to of a Matrix reply")
    m.call(TYPING, "PUT", f"{C}/rooms/{q(group)}/typing/{q(bob['user_id'])}",
           {"typing": True, "timeout": 20000}, token=bob["token"])

    def all_seen(events):
        kinds = {(e["type"], (e.get("message") or {}).get("message_id")) for e in events}
        typing = any(e["type"] == "typing" and bob["uuid"] in e["user_ids"] for e in events)
        edited = any(e["type"] == "edited" and e["message"]["message_id"] == b1
                     and e["message"]["text"] == "fixed over matrix" for e in events)
        replied = any(e["type"] == "message" and e["message"]["message_id"] == reply
                      and e["message"].get("reply_to") == b1 for e in events)
        return edited and replied and typing and ("reaction", b1) in kinds
    events = v1_sync_until(m, alice, ctx["since"], "the Matrix edit, reaction, reply and "
                           "typing in alice's /v1 sync", all_seen)
    relations = {ctx.get("edit"), ctx.get("reaction")}
    ok(not any(e["type"] == "message" and e["message"]["message_id"] in relations
               for e in events), "edits and reactions are no /v1 messages in sync")


def refusals(m, alice, bob, group, b1):
    """Refused relations: the spec's errors, never a 5xx, nothing written."""
    before = history(m, bob, group)[b1]
    # Another's message: M_FORBIDDEN.
    send(m, alice, group, edit_content(b1, "not yours"), expect=403, errcode="M_FORBIDDEN")
    send(m, alice, group, {"msgtype": "m.text", "body": "* x",
                           "m.relates_to": {"rel_type": "m.replace", "event_id": b1}},
         expect=400, errcode="M_INVALID_PARAM")
    send(m, bob, group, edit_content("$unknown-event", "x"), expect=404, errcode="M_NOT_FOUND")
    send(m, bob, group, edit_content(b1, ""), expect=400)
    send(m, alice, group, reaction_content(b1, "k" * 65), "m.reaction", expect=400,
         errcode="M_INVALID_PARAM")
    send(m, alice, group, {"m.relates_to": {"rel_type": "m.annotation", "event_id": b1}},
         "m.reaction", expect=400, errcode="M_INVALID_PARAM")
    ok(history(m, bob, group)[b1] == before, "refusals change nothing")
    # A deleted message takes no edit nor reaction (400, not a duplicate).
    v1(m, bob, "DELETE", f"/v1/messages/{q(b1)}", expect=204)
    for content, kind in ((edit_content(b1, "late"), "m.room.message"),
                          (reaction_content(b1, THUMBS), "m.reaction")):
        got = send(m, bob if kind == "m.room.message" else alice, group, content, kind,
                   expect=400)
        ok(got.body["errcode"] != "M_DUPLICATE_ANNOTATION", f"a deleted target: {got}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--notes", required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    schemas = EventSchemas(m)
    tag = uuid.uuid4().hex[:8]
    alice, bob, carol = (account(m, f"{name}{tag}") for name in ("alice", "bob", "carol"))
    befriend(m, alice, bob)
    befriend(m, alice, carol)
    group = m.call(CREATE, "POST", C + "/createRoom", {"name": "Relations",
                                                        "preset": "private_chat"},
                   token=alice["token"]).body["room_id"]
    # Bob joins through Matrix on alice's invite: alice added him.
    alice_since = v1(m, alice, "GET", "/v1/sync", expect=200).body["next"]
    m.call(INVITE, "POST", f"{C}/rooms/{q(group)}/invite", {"user_id": bob["user_id"]},
           token=alice["token"])
    m.call(JOIN, "POST", f"{C}/rooms/{q(group)}/join", {}, token=bob["token"])
    notes = {"group": group, "alice": alice["uuid"], "bob": bob["uuid"]}

    failed = []

    def section(name, fn, *args):
        # Each part on its own: one failure does not hide the others.
        try:
            fn(m, *args)
        except AssertionError as e:
            failed.append(name)
            print(f"FAILED {name}: {e}")

    section("matrix join -> v1", lambda m: v1_sync_until(
        m, alice, alice_since, "bob's Matrix join in alice's /v1 sync",
        lambda events: any(e["type"] == "member_added" and e.get("user_id") == bob["uuid"]
                           for e in events)))
    section("v1 -> matrix", v1_to_matrix, alice, bob, carol, group, schemas)
    ctx = {"since": v1(m, alice, "GET", "/v1/sync", expect=200).body["next"],
           "b1": send(m, bob, group, {"msgtype": "m.text", "body": "from matrix"})}
    notes["matrix_edited"] = ctx["b1"]
    with open(args.notes, "w") as f:
        json.dump(notes, f)
    section("matrix edit -> v1", matrix_edit, alice, bob, group, ctx)
    section("matrix reaction -> v1", matrix_reaction, alice, bob, group, ctx)
    section("matrix reply and typing -> v1", matrix_reply_typing_sync, alice, bob, group, ctx)
    section("refusals", refusals, alice, bob, group, ctx["b1"])
    if failed:
        print(f"relations_cross_test: {len(failed)} part(s) failed: {', '.join(failed)}")
        return 1
    print(f"relations_cross_test: ok ({m.checked} answers and {schemas.checked} events "
          "validated against the spec)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
