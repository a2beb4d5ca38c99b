"""Matrix sync bench (issue 14, "Performance") against a running messenger:

- initial /v3/sync (timeline limit 10, lazy-loaded members) of a user in
  ROOMS rooms of MESSAGES messages each: latency percentiles;
- incremental sync wake latency: a second user long-polls /v3/sync while
  the first sends at RATE msg/s into rooms they share; the time from the
  send's answer to the poll's answer, per delivered message.

    /usr/bin/python3 matrix_sync_bench.py --base URL [--rooms 500]
        [--messages 20] [--rate 500] [--seconds 10] [--out report.md]

Standard library only. Prints a Markdown report (and writes it to --out).
"""
import argparse
import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "matrix"))
from matrix_http import MatrixHttp  # noqa: E402
from rooms_test import account, befriend, ok  # noqa: E402

C = "/_matrix/client/v3"
FILTER = json.dumps({"room": {"timeline": {"limit": 10}, "state": {"lazy_load_members": True}}})


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def send(m, who, room, text):
    r = m.raw("POST", "/v1/messages", {"conversation_id": room, "text": text,
                                       "client_msg_id": uuid.uuid4().hex}, token=who["token"])
    ok(r.status in (200, 201), f"send: {r}")


def setup(m, alice, bob, rooms, messages):
    def make(i):
        r = m.raw("POST", C + "/createRoom", {"name": f"bench {i}"}, token=alice["token"])
        ok(r.status == 200, f"createRoom: {r}")
        room = r.body["room_id"]
        added = m.raw("POST", f"/v1/conversations/{room}/members",
                      {"member_ids": [bob["uuid"]]}, token=alice["token"])
        ok(added.status == 200, f"add: {added}")
        for j in range(messages):
            send(m, alice, room, f"m{j}")
        return room
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(make, range(rooms)))


def initial_syncs(m, bob, runs):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        r = m.raw("GET", C + "/sync", token=bob["token"], query={"filter": FILTER})
        times.append(time.monotonic() - t0)
        ok(r.status == 200, f"sync: {r.status}")
    return times, r.body


def wake_latency(m, alice, bob, rooms, rate, seconds):
    since = m.raw("GET", C + "/sync", token=bob["token"],
                  query={"filter": FILTER, "timeout": "0"}).body["next_batch"]
    sent = {}  # text -> monotonic time of the send's answer
    seen = {}  # text -> monotonic time the long poll answered with it
    stop = threading.Event()

    def poller():
        nonlocal since
        while not stop.is_set() or len(seen) < len(sent):
            r = m.raw("GET", C + "/sync", token=bob["token"],
                      query={"since": since, "timeout": "2000", "filter": FILTER})
            now = time.monotonic()
            if r.status != 200:
                continue
            since = r.body["next_batch"]
            for room in r.body["rooms"]["join"].values():
                for e in room["timeline"]["events"]:
                    body = e.get("content", {}).get("body", "")
                    if body.startswith("wake "):
                        seen.setdefault(body, now)
            if stop.is_set() and time.monotonic() > deadline:
                return

    deadline = time.monotonic() + seconds + 15
    t = threading.Thread(target=poller)
    t.start()
    interval = 1.0 / rate
    start = time.monotonic()
    i = 0
    with ThreadPoolExecutor(16) as pool:
        def one(k):
            text = f"wake {k}"
            send(m, alice, rooms[k % len(rooms)], text)
            sent[text] = time.monotonic()
        while time.monotonic() - start < seconds:
            pool.submit(one, i)
            i += 1
            time.sleep(max(0, start + i * interval - time.monotonic()))
    achieved = i / (time.monotonic() - start)
    stop.set()
    t.join(seconds + 30)
    # (A poll may answer before the send itself does: 0.)
    lat = [max(0.0, seen[b] - sent[b]) for b in sent if b in seen]
    return lat, len(sent), achieved


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--rooms", type=int, default=500)
    p.add_argument("--messages", type=int, default=20)
    p.add_argument("--rate", type=int, default=500)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--out")
    a = p.parse_args()
    m = MatrixHttp(a.base)
    run = uuid.uuid4().hex[:8]
    alice, bob = account(m, f"benchalice{run}"), account(m, f"benchbob{run}")
    befriend(m, alice, bob)
    t0 = time.monotonic()
    rooms = setup(m, alice, bob, a.rooms, a.messages)
    setup_s = time.monotonic() - t0
    times, body = initial_syncs(m, bob, a.runs)
    joined = len(body["rooms"]["join"])
    size = len(json.dumps(body))
    lat, sent, achieved = wake_latency(m, alice, bob, rooms, a.rate, a.seconds)
    lines = [
        "# Matrix sync bench",
        "",
        f"Setup: {a.rooms} rooms x {a.messages} messages (2 members each) in {setup_s:.0f} s.",
        "",
        f"## Initial /v3/sync (timeline limit 10, lazy members), {a.runs} runs",
        "",
        f"- rooms in the answer: {joined}; answer size {size / 1024:.0f} KiB",
        f"- p50 {pct(times, 50) * 1000:.0f} ms, p90 {pct(times, 90) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms (goal: p50 <= 1000 ms)",
        "",
        f"## Incremental sync wake latency, target {a.rate} msg/s for {a.seconds} s",
        "",
        f"- sends answered: {sent} (achieved {achieved:.0f} msg/s); delivered seen: {len(lat)}",
    ]
    if lat:
        lines.append(f"- p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
                     f"max {max(lat) * 1000:.1f} ms (goal: p99 <= 50 ms)")
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        with open(a.out, "w") as f:
            f.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
