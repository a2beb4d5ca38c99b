"""Bundled aggregations of m.replace over HTTP (client-server API,
"Aggregations of child events"): an edited message carries its latest edit
by its own sender in unsigned.m.relations.m.replace on /messages,
/rooms/{roomId}/event/{eventId}, /context and the sync timeline; the edit is
only bundled, never applied to the original's content (room version 10); a
redacted edit is not bundled, nor is an edit by anyone but the original's
sender (refused when sent here: M_FORBIDDEN). Every answer is validated
against the spec's response schemas and every event (the bundled edits too)
against the event schemas.

    /usr/bin/python3 bundled_edits_test.py --base URL

Exit status 0 when every check passes.
"""
import json
import sys

from matrix_http import C, befriend, ok, q
from relations_cross_test import REDACT, edit_content, private_room, script_start, send
from sync_test import CONTEXT, MESSAGES, sync

EVENT = ("rooms.yaml", "/rooms/{roomId}/event/{eventId}")


def by_id(events):
    return {e["event_id"]: e for e in events}


def bundled(event):
    return event.get("unsigned", {}).get("m.relations", {}).get("m.replace")


def four_places(m, who, room, target, schemas):
    """The target event as /messages, /event, /context and an initial sync
    show it."""
    t = who["token"]
    got = {}
    page = m.call(MESSAGES, "GET", f"{C}/rooms/{q(room)}/messages", token=t,
                  query={"dir": "b", "limit": "50"}).body
    got["messages"] = by_id(page["chunk"])[target]
    got["event"] = m.call(EVENT, "GET", f"{C}/rooms/{q(room)}/event/{q(target)}", token=t).body
    context = m.call(CONTEXT, "GET", f"{C}/rooms/{q(room)}/context/{q(target)}", token=t,
                     query={"limit": "4"}).body
    got["context"] = context["event"]
    body = sync(m, who, filt={"room": {"timeline": {"limit": 50}}})
    timeline = body["rooms"]["join"][room]["timeline"]["events"]
    for event in timeline:
        if event["content"]:  # a redacted event's {} fits no content schema
            schemas.check(event)
    got["sync"] = by_id(timeline)[target]
    for event in got.values():
        schemas.check(event)
        if bundled(event) is not None:
            schemas.check(bundled(event))
    return got


def main():
    m, schemas, tag, (alice, bob) = script_start(("alice", "bob"))
    befriend(m, alice, bob)
    room = private_room(m, alice, "Bundles", (bob,))

    edited = send(m, bob, room, {"msgtype": "m.text", "body": "first"})
    plain = send(m, bob, room, {"msgtype": "m.text", "body": "never edited"})
    lone = send(m, bob, room, {"msgtype": "m.text", "body": "edited once, edit redacted"})
    send(m, bob, room, edit_content(edited, "first, fixed"))
    edit2 = send(m, bob, room, edit_content(edited, "first, fixed again"))
    lone_edit = send(m, bob, room, edit_content(lone, "gone"))

    # An edit of another user's message is refused, so never bundled.
    send(m, alice, room, edit_content(edited, "not yours"), expect=403, errcode="M_FORBIDDEN")
    send(m, alice, room, edit_content(plain, "not yours"), expect=403, errcode="M_FORBIDDEN")

    # The latest edit, bundled whole, in all four places; the original's
    # content stays what was sent.
    for who in (alice, bob):
        for place, event in four_places(m, who, room, edited, schemas).items():
            edit = bundled(event)
            ok(edit is not None, f"{place}: the edit is bundled: {json.dumps(event)}")
            ok(edit["event_id"] == edit2, f"{place}: the latest edit: {edit}")
            ok(edit["sender"] == bob["user_id"] and edit["type"] == "m.room.message",
               f"{place}: the edit as a client event: {edit}")
            ok(edit["content"]["m.new_content"]["body"] == "first, fixed again", f"{place}: {edit}")
            ok(event["content"]["body"] == "first", f"{place}: the original is not replaced")
        for place, event in four_places(m, who, room, plain, schemas).items():
            ok(bundled(event) is None, f"{place}: nothing to bundle: {event}")

    # A redacted edit is not bundled: the one before it is, or none.
    m.call(REDACT, "PUT", f"{C}/rooms/{q(room)}/redact/{q(edit2)}/r1-{tag}", {},
           token=bob["token"])
    m.call(REDACT, "PUT", f"{C}/rooms/{q(room)}/redact/{q(lone_edit)}/r2-{tag}", {},
           token=bob["token"])
    for place, event in four_places(m, alice, room, edited, schemas).items():
        edit = bundled(event)
        ok(edit is not None and edit["event_id"] != edit2, f"{place}: redacted edit gone: {edit}")
        ok(edit["content"]["m.new_content"]["body"] == "first, fixed", f"{place}: {edit}")
    for place, event in four_places(m, alice, room, lone, schemas).items():
        ok(bundled(event) is None, f"{place}: its only edit was redacted: {event}")

    # Bad input on the routes that bundle: the spec's errors, never a 5xx.
    unknown = "$" + "A" * 43
    m.call(None, "GET", f"{C}/rooms/{q(room)}/event/{q(unknown)}", token=alice["token"],
           expect=404, errcode="M_NOT_FOUND")
    m.call(None, "GET", f"{C}/rooms/{q(room)}/context/{q(unknown)}", token=alice["token"],
           expect=404, errcode="M_NOT_FOUND")
    print(f"bundled edits: ok ({m.checked} answers, {schemas.checked} events validated)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
