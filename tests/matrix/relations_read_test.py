"""GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]
over HTTP: a message's edits and reactions, newest first or oldest first,
by relation and event type, page by page; a redacted reaction is gone; a
former member sees those up to their leave; bad input answers the spec's
errors, never a 5xx. Every answer and event is validated against the spec.

    /usr/bin/python3 relations_read_test.py --base URL

Exit status 0 when every check passes.
"""
import sys

from matrix_http import C, befriend, ok, q
from relations_cross_test import (PARTY, REDACT, THUMBS, edit_content, private_room,
                                  reaction_content, script_start, send)

V1 = "/_matrix/client/v1"
RELATIONS = ("relations.yaml", "/rooms/{roomId}/relations/{eventId}")
BY_REL = ("relations.yaml", "/rooms/{roomId}/relations/{eventId}/{relType}")
BY_TYPE = ("relations.yaml", "/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}")
LEAVE = ("leaving.yaml", "/rooms/{roomId}/leave")


def relations(m, who, room, event, rel=None, event_type=None, schemas=None, **query):
    path = f"{V1}/rooms/{q(room)}/relations/{q(event)}"
    spec = RELATIONS
    if rel is not None:
        path, spec = path + "/" + q(rel), BY_REL
    if event_type is not None:
        path, spec = path + "/" + q(event_type), BY_TYPE
    body = m.call(spec, "GET", path, token=who["token"],
                  query={k: str(v) for k, v in query.items()}).body
    for e in body["chunk"]:
        ok(e["room_id"] == room, f"an event of the room: {e}")
        if schemas is not None:
            schemas.check(e)
    return body


def ids(body):
    return [e["event_id"] for e in body["chunk"]]


def refused(m, who, path, status, errcode, query=None):
    got = m.raw("GET", path, token=who["token"] if who else None, query=query)
    ok(got.status == status and (got.body or {}).get("errcode") == errcode,
       f"GET {path} {query or ''}: expected {status} {errcode}, got {got}")
    if status == 404:
        m.spec.check("relations.yaml", "/rooms/{roomId}/relations/{eventId}", "get", 404,
                     got.body)


def main():
    m, schemas, tag, (alice, bob, carol, dave) = script_start(("alice", "bob", "carol", "dave"))
    befriend(m, alice, bob)
    befriend(m, alice, carol)
    room = private_room(m, alice, "Relations read", (bob, carol))

    b1 = send(m, bob, room, {"msgtype": "m.text", "body": "first"})
    other = send(m, bob, room, {"msgtype": "m.text", "body": "unrelated"})
    edit1 = send(m, bob, room, edit_content(b1, "first, fixed"))
    party = send(m, alice, room, reaction_content(b1, PARTY), "m.reaction")
    send(m, alice, room, reaction_content(other, PARTY), "m.reaction")  # not b1's
    thumbs = send(m, carol, room, reaction_content(b1, THUMBS), "m.reaction")
    edit2 = send(m, bob, room, edit_content(b1, "first, fixed again"))
    newest_first = [edit2, thumbs, party, edit1]

    # All of them, newest first (the default), and oldest first.
    got = relations(m, alice, room, b1, schemas=schemas)
    ok(ids(got) == newest_first[:5] and "next_batch" not in got, f"default page: {got}")
    got = relations(m, alice, room, b1, schemas=schemas, limit=10)
    ok(ids(got) == newest_first, f"all, newest first: {ids(got)} vs {newest_first}")
    ok("next_batch" not in got and "prev_batch" not in got, f"one page: {got}")
    got = relations(m, alice, room, b1, dir="f", limit=10)
    ok(ids(got) == newest_first[::-1], f"dir=f: oldest first: {ids(got)}")

    # By relation type, and by relation and event type.
    ok(ids(relations(m, bob, room, b1, "m.annotation")) == [thumbs, party], "reactions")
    ok(ids(relations(m, bob, room, b1, "m.replace", "m.room.message")) == [edit2, edit1], "edits")
    ok(ids(relations(m, bob, room, b1, "m.annotation", "m.room.message")) == [], "no such type")
    ok(ids(relations(m, bob, room, b1, "m.thread")) == [], "no threads")
    ok(len(ids(relations(m, bob, room, other))) == 1, "the other message has its one reaction")

    # Page by page, both ways: the same events, each once.
    for direction, want in (("b", newest_first), ("f", newest_first[::-1])):
        seen, token, pages = [], None, 0
        while True:
            query = {"limit": 1, "dir": direction}
            if token:
                query["from"] = token
            page = relations(m, carol, room, b1, **query)
            ok(pages == 0 or page.get("prev_batch") == token, f"prev_batch is from: {page}")
            seen += ids(page)
            pages += 1
            token = page.get("next_batch")
            ok(pages <= 10, "pagination ends")
            if not token:
                break
        ok(seen == want, f"pages dir={direction}: {seen} vs {want}")
    # `to` bounds a page: from the first page's token back to the third's.
    first = relations(m, alice, room, b1, limit=1)
    third = relations(m, alice, room, b1, limit=1,
                      **{"from": relations(m, alice, room, b1, limit=1,
                                           **{"from": first["next_batch"]})["next_batch"]})
    got = relations(m, alice, room, b1, limit=10, **{"from": first["next_batch"],
                                                     "to": third["next_batch"]})
    ok(ids(got) == newest_first[1:3], f"from..to: {ids(got)} vs {newest_first[1:3]}")

    # A redacted reaction is no longer a relation.
    m.call(REDACT, "PUT", f"{C}/rooms/{q(room)}/redact/{q(party)}/r-{tag}", {},
           token=alice["token"])
    ok(ids(relations(m, alice, room, b1, "m.annotation")) == [thumbs], "party redacted")

    # Carol left: she sees what came before her leave, not after.
    m.call(LEAVE, "POST", f"{C}/rooms/{q(room)}/leave", {}, token=carol["token"])
    edit3 = send(m, bob, room, edit_content(b1, "after carol left"))
    ok(ids(relations(m, bob, room, b1, "m.replace")) == [edit3, edit2, edit1], "bob sees edit3")
    ok(ids(relations(m, carol, room, b1, "m.replace")) == [edit2, edit1], "carol: up to her leave")

    # recurse is accepted; relations of relations are not followed.
    got = relations(m, alice, room, b1, recurse="true", limit=10)
    ok(got.get("recursion_depth") == 1 and ids(got)[0] == edit3, f"recurse: {got}")

    # Bad input: the spec's errors, never a 5xx.
    base = f"{V1}/rooms/{q(room)}/relations/{q(b1)}"
    refused(m, alice, f"{V1}/rooms/{q('!nope:localhost')}/relations/{q(b1)}", 404, "M_NOT_FOUND")
    refused(m, dave, base, 404, "M_NOT_FOUND")  # another's room
    refused(m, dave, base + "/m.annotation", 404, "M_NOT_FOUND")
    refused(m, alice, f"{V1}/rooms/{q(room)}/relations/{q('$unknown')}", 404, "M_NOT_FOUND")
    # Carol left before edit3: she may not read its relations.
    refused(m, carol, f"{V1}/rooms/{q(room)}/relations/{q(edit3)}", 404, "M_NOT_FOUND")
    for query in ({"dir": "x"}, {"limit": "abc"}, {"limit": "0"}, {"limit": "-3"},
                  {"from": "garbage"}, {"to": "t-1"}, {"recurse": "maybe"}):
        refused(m, alice, base, 400, "M_INVALID_PARAM", query)
    got = m.raw("GET", base)
    ok(got.status == 401 and got.body.get("errcode") == "M_MISSING_TOKEN", f"no token: {got}")

    print(f"relations_read_test: ok ({m.checked} answers and {schemas.checked} events "
          "validated against the spec)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"relations_read_test: FAILED: {e}")
        sys.exit(1)
