"""Direct rooms across the two homeservers (issue 16, feddirect), for
federation_two_servers_test.py once cross-server contacts (fedcontacts) are
in: alice (hs1) and bob (hs2) are already contacts across servers.

- direct_chat: alice sends /v1/messages {to: bob's UUID on hs1} (the
  pair's direct room is made on hs1, bob invited with is_direct); hs2 takes
  the invite (bob is alice's contact) and joins bob at once: bob sees the
  direct conversation (peer_user_id = alice's UUID on hs2), alice's first
  message (sent before hs2 joined: backfilled) and her next one in hs2's
  /v1/sync and history, answers with /v1/messages {to: alice's UUID on hs2}
  into the same room, and alice sees the answer on hs1.
- read_only_after_unfriend (after the caller ended the friendship): both
  sends are 403 and no new message appears on either side.
- direct_glare: both send their first message at once, so each server
  makes the pair's room; both rooms are kept, each user joins both and sees
  the other's first message, and both servers give the pair the room with
  the smaller id: the next messages of both meet there.
"""
import uuid
from concurrent.futures import ThreadPoolExecutor

from federation_rooms_test import remote_user_uuid
from matrix_http import ok, q, until


def _send(m, who, to, text):
    return m.raw("POST", "/v1/messages",
                 {"to": to, "text": text, "client_msg_id": uuid.uuid4().hex}, token=who["token"])


def _texts(m, who, room_id):
    r = m.raw("GET", f"/v1/conversations/{q(room_id)}/messages", token=who["token"],
              query={"limit": "100"})
    return [x["text"] for x in r.body.get("messages", [])] if r.status == 200 else []


def _synced(m, who, room_id, text, since):
    """/v1/sync from `since` until `text` arrives in `room_id` (bounded)."""
    state = {"since": since}

    def got():
        body = m.raw("GET", "/v1/sync", token=who["token"],
                     query={"since": state["since"], "timeout_ms": "1000"}).body
        state["since"] = body.get("next", state["since"])
        return any(e.get("type") == "message" and e.get("conversation_id") == room_id and
                   e["message"].get("text") == text for e in body.get("events", []))
    return until(f"'{text}' in {who['user_id']}'s /v1/sync", got, 60)


def direct_chat(hs1, hs2, alice, bob):
    """The pair's direct room across servers; returns its room id."""
    tag = uuid.uuid4().hex[:8]
    bob_on_hs1 = remote_user_uuid(bob["user_id"])
    alice_on_hs2 = remote_user_uuid(alice["user_id"])
    bob_since = hs2.raw("GET", "/v1/sync", token=bob["token"]).body["next"]

    hello = f"hello bob {tag}"
    sent = _send(hs1, alice, bob_on_hs1, hello)
    ok(sent.status == 201, f"alice's first direct message: {sent}")
    room_id = sent.body["conversation_id"]

    def conversation():
        body = hs2.raw("GET", "/v1/conversations", token=bob["token"]).body
        return next((c for c in body.get("conversations", [])
                     if c["conversation_id"] == room_id), None)
    seen = until("the direct conversation on hs2", conversation, 60)
    ok(seen["type"] == "direct" and seen.get("peer_user_id") == alice_on_hs2,
       f"bob's conversation is the direct one with alice: {seen}")
    # hs2 joins bob by itself; what alice sent before that comes with the
    # join (/backfill) or, when she wrote between make_join and send_join,
    # with her next message (get_missing_events), what she sends after
    # arrives. (membership, not the member's profile, which may be {})
    until("bob joined on hs1", lambda: bob["user_id"] in hs1.raw(
        "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/joined_members",
        token=alice["token"]).body.get("joined", {}), 60)
    again = f"are you there bob {tag}"
    sent = _send(hs1, alice, bob_on_hs1, again)
    ok(sent.status == 201 and sent.body["conversation_id"] == room_id,
       f"alice's second message, same room: {sent}")
    _synced(hs2, bob, room_id, again, bob_since)
    _synced(hs2, bob, room_id, hello, bob_since)
    texts = _texts(hs2, bob, room_id)  # newest first
    ok(hello in texts and again in texts and texts.index(again) < texts.index(hello),
       f"bob's history on hs2 has alice's first message before her second: {texts}")

    answer = f"hello alice {tag}"
    got = _send(hs2, bob, alice_on_hs2, answer)
    ok(got.status == 201 and got.body["conversation_id"] == room_id,
       f"bob answers in the same room: {got}")
    until("bob's answer on hs1", lambda: answer in _texts(hs1, alice, room_id), 60)
    return room_id


def unfriend(hs1, hs2, alice, bob):
    """alice removes bob on hs1; returns once neither server lists the other."""
    bob_on_hs1 = remote_user_uuid(bob["user_id"])
    r = hs1.raw("DELETE", f"/v1/contacts/{bob_on_hs1}", token=alice["token"])
    ok(r.status == 204, f"alice removes bob on hs1: {r}")

    def listed(m, who):
        return m.raw("GET", "/v1/contacts", token=who["token"]).body["contacts"]
    until("alice's contacts on hs1 empty", lambda: not listed(hs1, alice), 30)
    until("bob's contacts on hs2 empty", lambda: not listed(hs2, bob), 30)


def read_only_after_unfriend(hs1, hs2, alice, bob, room_id):
    """After the caller ended the friendship and both servers' contact lists
    show it (one send each: a send that went through would be a message)."""
    before1, before2 = _texts(hs1, alice, room_id), _texts(hs2, bob, room_id)
    refused1 = _send(hs1, alice, remote_user_uuid(bob["user_id"]), "after unfriending")
    ok(refused1.status == 403, f"alice's send after unfriending: {refused1}")
    refused2 = _send(hs2, bob, remote_user_uuid(alice["user_id"]), "after unfriending")
    ok(refused2.status == 403, f"bob's send after unfriending: {refused2}")
    ok(_texts(hs1, alice, room_id) == before1, "no new message on hs1")
    ok(_texts(hs2, bob, room_id) == before2, "no new message on hs2")


def direct_glare(hs1, hs2, erin, frank):
    """Returns whether the two first messages crossed (two rooms were made)."""
    tag = uuid.uuid4().hex[:8]
    frank_on_hs1 = remote_user_uuid(frank["user_id"])
    erin_on_hs2 = remote_user_uuid(erin["user_id"])
    to_frank, to_erin = f"hi frank {tag}", f"hi erin {tag}"
    with ThreadPoolExecutor(2) as pool:
        from_erin = pool.submit(_send, hs1, erin, frank_on_hs1, to_frank)
        from_frank = pool.submit(_send, hs2, frank, erin_on_hs2, to_erin)
        sent1, sent2 = from_erin.result(), from_frank.result()
    ok(sent1.status == 201 and sent2.status == 201, f"the first messages: {sent1}, {sent2}")
    room1, room2 = sent1.body["conversation_id"], sent2.body["conversation_id"]
    # Each sees the other's first message in the room it was sent in.
    until("frank's first message on hs1", lambda: to_erin in _texts(hs1, erin, room2), 60)
    until("erin's first message on hs2", lambda: to_frank in _texts(hs2, frank, room1), 60)
    kept = min(room1, room2)
    again1, again2 = f"again frank {tag}", f"again erin {tag}"
    sent1 = _send(hs1, erin, frank_on_hs1, again1)
    ok(sent1.status == 201 and sent1.body["conversation_id"] == kept,
       f"erin's next message goes to {kept}: {sent1}")
    sent2 = _send(hs2, frank, erin_on_hs2, again2)
    ok(sent2.status == 201 and sent2.body["conversation_id"] == kept,
       f"frank's next message goes to {kept}: {sent2}")
    for m, who in ((hs1, erin), (hs2, frank)):
        until(f"both next messages in {kept} for {who['user_id']}",
              lambda: {again1, again2} <= set(_texts(m, who, kept)), 60)
    return room1 != room2
