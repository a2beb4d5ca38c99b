"""Forked histories (issue 16): the peer writes while alice writes, so its
event's prev_events are known here but are not the room's latest event. The
fork is accepted and shown; alice's next event names both tips as
prev_events (the merge); a forked event that passes the state before it but
not the room's current state (alice raised events_default meanwhile) is
soft-failed: refused under its event id, never stored or shown. Called by
federation_rooms_test.py while pat (the peer's user) is joined."""
import urllib.parse
import uuid

from matrix_http import C, metric, ok, until

F = "/_matrix/federation"
FORKED = "messenger_federation_forked_events_total"
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
    # before it, fails the room's state, so it is refused (soft-failed).
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
    answer = send("fork2", [late])
    ok("error" in answer.get(late_id, {}), f"a soft-failed fork is refused: {answer}")
    fed.call(peer, "GET", f"{F}/v1/event/{q(late_id)}", expect=404)  # never stored
    ok(not any(x["message_id"] == late_id for x in history(m, alice, room_id)),
       "a soft-failed fork is not shown")
    r = m.raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/", levels.body,
              token=alice["token"])
    ok(r.status == 200, f"events_default back: {r}")
    return say("forks done")
