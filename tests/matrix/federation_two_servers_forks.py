"""Both servers write at once (issue 16, forks), run at the end of
federation_two_servers_test.py's `join` phase: each server's events reach
the other while it is writing its own, so they arrive as forks of the room.

- alice (hs1) and bob (hs2) send 15 messages each at the same time: on both
  servers every one of the 30 is in /messages exactly once, and each
  sender's messages keep their order;
- alice makes bob a moderator, then alice and bob set the topic at the same
  time: both servers end up with the same topic (state resolution v2 picks
  the same winner on each side) and know both topic events.
"""
import threading
import uuid

from matrix_http import C, MatrixHttp, metric, ok, q, until

SEND = ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")
MESSAGES = ("message_pagination.yaml", "/rooms/{roomId}/messages")
PER_SIDE = 15


def _together(*jobs):
    """Runs the jobs in threads released at once; the first error fails."""
    start = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        start.wait()
        try:
            job()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ok(not any(t.is_alive() for t in threads), "concurrent writers finished")
    if errors:
        raise errors[0]


def _messages(m, who, room_id):
    body = m.call(MESSAGES, "GET", f"{C}/rooms/{q(room_id)}/messages", token=who["token"],
                  query={"dir": "b", "limit": "100"}).body
    return [e["event_id"] for e in reversed(body["chunk"]) if e["type"] == "m.room.message"]


def _topic(m, who, room_id):
    r = m.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.topic/", token=who["token"])
    return r.body.get("topic") if r.status == 200 else None


def _knows(m, who, room_id, event_id):
    return m.raw("GET", f"{C}/rooms/{q(room_id)}/event/{q(event_id)}",
                 token=who["token"]).status == 200


def concurrent_writes(hs1, hs2, alice, bob, room_id):
    sent = {"alice": [], "bob": []}

    def writer(base, who, name):
        m = MatrixHttp(base)  # one client per thread
        for i in range(PER_SIDE):
            r = m.call(SEND, "PUT",
                       f"{C}/rooms/{q(room_id)}/send/m.room.message/{uuid.uuid4().hex}",
                       {"msgtype": "m.text", "body": f"{name} at once {i}"}, token=who["token"])
            sent[name].append(r.body["event_id"])
    _together(lambda: writer(hs1.base, alice, "alice"), lambda: writer(hs2.base, bob, "bob"))
    everything = set(sent["alice"]) | set(sent["bob"])
    for m, who in ((hs1, alice), (hs2, bob)):
        got = until(f"all {len(everything)} concurrent messages on {m.base}",
                    lambda: (lambda g: g if everything <= set(g) else None)(
                        _messages(m, who, room_id)), 60)
        mine = [i for i in got if i in everything]
        ok(len(mine) == len(everything), f"exactly once on {m.base}: {len(mine)} of "
           f"{len(everything)}")
        for name in ("alice", "bob"):
            ok([i for i in mine if i in set(sent[name])] == sent[name],
               f"{name}'s order on {m.base}")

    # bob may set the topic: a moderator, known on both sides.
    levels = hs1.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/",
                     token=alice["token"])
    ok(levels.status == 200, f"power levels: {levels}")
    content = dict(levels.body)
    content["users"] = dict(content.get("users", {}), **{bob["user_id"]: 50})
    r = hs1.raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/", content,
                token=alice["token"])
    ok(r.status == 200, f"bob a moderator: {r}")

    def bob_is_moderator():
        r = hs2.raw("GET", f"{C}/rooms/{q(room_id)}/state/m.room.power_levels/",
                    token=bob["token"])
        return r.status == 200 and r.body.get("users", {}).get(bob["user_id"]) == 50
    until("bob's power level on hs2", bob_is_moderator, 60)

    topics = {}

    def set_topic(base, who, name):
        r = MatrixHttp(base).raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.topic/",
                                 {"topic": f"{name}'s topic"}, token=who["token"])
        ok(r.status == 200, f"{name} sets the topic: {r}")
        topics[name] = r.body["event_id"]
    _together(lambda: set_topic(hs1.base, alice, "alice"),
              lambda: set_topic(hs2.base, bob, "bob"))

    def agreed():
        if not all(_knows(m, who, room_id, e) for m, who in ((hs1, alice), (hs2, bob))
                   for e in topics.values()):
            return None
        one, two = _topic(hs1, alice, room_id), _topic(hs2, bob, room_id)
        return one if one is not None and one == two else None
    topic = until("the same topic on both servers", agreed, 60)
    ok(topic in ("alice's topic", "bob's topic"), f"the topic is one of the two: {topic}")
    forked = [int(metric(m, "messenger_federation_forked_events_total")) for m in (hs1, hs2)]
    print(f"concurrent writes: {2 * PER_SIDE} messages exactly once on both servers; "
          f"both servers chose {topic!r}; events taken as forks: hs1 {forked[0]}, "
          f"hs2 {forked[1]}")
