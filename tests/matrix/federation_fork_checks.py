"""Forked histories (issue 16): the peer writes while alice writes, so its
event's prev_events are known here but are not the room's latest event. The
fork is accepted and shown; alice's next event names both tips as
prev_events (the merge); a forked event that passes the state before it but
not the room's current state (alice raised events_default meanwhile) is
soft-failed: accepted under its event id, kept (served by /event) but never
shown, and a later event naming it as a prev event is decided as a fork
like any other (before, it was refused for an unknown prev event: a
message lost). A soft-failed state event that a later resolution keeps
becomes the room's state. Called by federation_rooms_test.py while pat (the
peer's user) is joined."""
import time
import urllib.parse
import uuid

from matrix_http import C, metric, ok, until

F = "/_matrix/federation"
FORKED = "messenger_federation_forked_events_total"
SOFT_FAILED = "messenger_federation_soft_failed_events_total"
EVENT = ("events.yaml", "/event/{eventId}")
TXN = ("transactions.yaml", "/send/{txnId}")


def forks(m, fed, peer, alice, room_id, message, history, tag):
    q = urllib.parse.quote

    def say(text):
        r = m.raw("PUT", f"{C}/rooms/{q(room_id)}/send/m.room.message/{uuid.uuid4().hex}",
                  {"msgtype": "m.text", "body": text}, token=alice["token"])
        ok(r.status == 200, f"alice says {text}: {r}")
        return r.body["event_id"]

    def pdu(event_id):
        return fed.call(peer, "GET", f"{F}/v1/event/{q(event_id)}", spec=EVENT).body["pdus"][0]

    def send(txn_id, pdus):
        body = {"origin": peer.name, "origin_server_ts": 1, "pdus": pdus}
        return fed.call(peer, "PUT", f"{F}/v1/send/{txn_id}-{tag}", body, spec=TXN).body["pdus"]

    # alice writes twice; the peer answers the first one only (it had not
    # seen the second yet): its event forks from alice's first.
    first = say("fork point")
    second = say("written meanwhile")
    depth = pdu(second)["depth"]
    fork_id, fork = message(f"@pat:{peer.name}", [first], "from the other branch", depth=depth)
    forked_before = metric(m, FORKED)
    answer = send("fork1", [fork])
    ok(answer == {fork_id: {}}, f"the forked event is accepted: {answer}")
    ok(metric(m, FORKED) == forked_before + 1, "taken as a fork (the forked events counter)")
    until("the forked event in alice's history",
          lambda: any(x["message_id"] == fork_id for x in history(m, alice, room_id)))
    # alice's next event merges the two tips.
    merge = pdu(say("both seen"))
    ok(sorted(merge["prev_events"]) == sorted([second, fork_id]),
       f"the merge names both tips: {merge['prev_events']} vs {[second, fork_id]}")

    # A fork from before alice raised events_default: passes the state
    # before it, fails the room's state, so it is soft-failed.
    before_raise = say("before the raise")
    levels = m.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/",
                   token=alice["token"])
    ok(levels.status == 200, f"power levels: {levels}")
    raised = dict(levels.body, events_default=50)
    r = m.raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/", raised,
              token=alice["token"])
    ok(r.status == 200, f"raise events_default: {r}")
    late_id, late = message(f"@pat:{peer.name}", [before_raise], "too late",
                            depth=pdu(before_raise)["depth"] + 1)
    soft_before = metric(m, SOFT_FAILED)
    answer = send("fork2", [late])
    ok(answer == {late_id: {}}, f"a soft-failed fork is accepted, as the spec asks: {answer}")
    ok(metric(m, SOFT_FAILED) == soft_before + 1, "counted as soft-failed")
    ok(pdu(late_id)["content"]["body"] == "too late", "kept and served by /event (the DAG names it)")
    ok(not any(x["message_id"] == late_id for x in history(m, alice, room_id)),
       "a soft-failed fork is not shown")
    r = m.raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/", levels.body,
              token=alice["token"])
    ok(r.status == 200, f"events_default back: {r}")
    # The peer's next message names the soft-failed one: decided as a fork
    # from the state after it (pat may write again), accepted and shown.
    next_id, after_late = message(f"@pat:{peer.name}", [late_id], "after the late one",
                                  depth=late["depth"] + 1)
    forked_before = metric(m, FORKED)
    answer = send("fork3", [after_late])
    ok(answer == {next_id: {}}, f"an event after a soft-failed one is accepted: {answer}")
    ok(metric(m, FORKED) == forked_before + 1, "taken as a fork")
    until("the event after the soft-failed one in alice's history",
          lambda: any(x["message_id"] == next_id for x in history(m, alice, room_id)))
    ok(not any(x["message_id"] == late_id for x in history(m, alice, room_id)),
       "the soft-failed one stays hidden")
    soft_failed_state(m, peer, alice, room_id, say, pdu, send, message, history)
    return say("forks done")


def soft_failed_state(m, peer, alice, room_id, say, pdu, send, message, history):
    """pat, given power 50 then demoted, sets the topic from before the
    demotion: soft-failed. alice gives the power back; the peer's next
    message names the topic event: the resolution of the two branches keeps
    the topic (pat has power 50 in the resolved state), so the soft-failed
    event becomes the room's state (moved into its events)."""
    q = urllib.parse.quote
    pat = f"@pat:{peer.name}"
    path = f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/"
    original = m.raw("GET", path, token=alice["token"]).body

    def levels(pat_level):
        users = dict(original.get("users", {}))
        users.pop(pat, None)
        if pat_level:
            users[pat] = pat_level
        r = m.raw("PUT", path, dict(original, users=users), token=alice["token"])
        ok(r.status == 200, f"pat's level {pat_level}: {r}")
        return r.body["event_id"]

    promoted = levels(50)
    levels(0)
    # pat's membership and the room's create event, as the peer knows them.
    auth = list(dict.fromkeys(a for a in message(pat, [promoted], "probe")[1]["auth_events"]
                              if pdu(a)["type"] in ("m.room.create", "m.room.member")))
    topic_id, topic = peer.finish_pdu({
        "room_id": room_id, "sender": pat, "type": "m.room.topic", "state_key": "",
        "content": {"topic": "set by pat before the demotion"}, "prev_events": [promoted],
        "auth_events": auth + [promoted], "depth": pdu(promoted)["depth"] + 1,
        "origin_server_ts": int(time.time() * 1000)})
    soft_before = metric(m, SOFT_FAILED)
    answer = send("fork4", [topic])
    ok(answer == {topic_id: {}}, f"the demoted user's topic: {answer}")
    ok(metric(m, SOFT_FAILED) == soft_before + 1, "the topic is soft-failed")
    shown = m.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.topic/", token=alice["token"])
    ok(shown.status == 404 or shown.body.get("topic") != topic["content"]["topic"],
       f"a soft-failed topic is not the room's: {shown}")
    levels(50)
    after_id, after = message(pat, [topic_id], "after my topic", depth=topic["depth"] + 1)
    answer = send("fork5", [after])
    ok(answer == {after_id: {}}, f"the message naming the topic: {answer}")
    shown = m.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.topic/", token=alice["token"])
    ok(shown.status == 200 and shown.body == topic["content"],
       f"the resolution keeps pat's topic: {shown}")
    ok(pdu(topic_id)["content"] == topic["content"], "still served by /event")
    until("the message after the topic in alice's history",
          lambda: any(x["message_id"] == after_id for x in history(m, alice, room_id)))
    r = m.raw("PUT", path, original, token=alice["token"])
    ok(r.status == 200, f"the levels back: {r}")
