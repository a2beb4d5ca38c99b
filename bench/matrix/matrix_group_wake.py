"""Matrix long polls in one big group (issue 14): MEMBERS members each hold a
/v3/sync long poll (the sync bench's filter) while the creator sends Matrix
messages into the group at RATE msg/s, open loop. Reports, per delivered
copy (message x member), the CPU time of the messenger process and of
PostgreSQL (postmaster and backends), and the wake latency from each send's
due time to the member's poll answering with its event id. Every copy is
checked by id: a copy missing or seen twice by a member fails the run.

    /usr/bin/python3 matrix_group_wake.py --base URL --pg-port PORT
        [--members 100] [--rate 2] [--seconds 10]

Standard library only.
"""
import argparse
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matrix_send_cpu import cpu_ticks, tree_ticks, TICK  # noqa: E402
from matrix_sync_bench import C, FILTER, listening_pid, pct, send_matrix  # noqa: E402
from matrix_sync_bench import MatrixHttp, account, befriend, ok  # noqa: E402


def group(m, owner, members):
    r = m.raw("POST", C + "/createRoom", {"name": "big group"}, token=owner["token"])
    ok(r.status == 200, f"createRoom: {r}")
    room = r.body["room_id"]
    for i in range(0, len(members), 50):
        added = m.raw("POST", f"/v1/conversations/{room}/members",
                      {"member_ids": [x["uuid"] for x in members[i:i + 50]]},
                      token=owner["token"])
        ok(added.status == 200, f"add: {added}")
    return room


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--pg-port", type=int, required=True)
    p.add_argument("--members", type=int, default=100)
    p.add_argument("--rate", type=float, default=2)
    p.add_argument("--seconds", type=int, default=10)
    a = p.parse_args()
    m = MatrixHttp(a.base)
    pid = listening_pid(int(a.base.rsplit(":", 1)[1]))
    pg = listening_pid(a.pg_port)
    run = uuid.uuid4().hex[:8]
    owner = account(m, f"gwowner{run}")
    with ThreadPoolExecutor(8) as pool:
        members = list(pool.map(lambda i: account(m, f"gw{i}x{run}"), range(a.members)))
        list(pool.map(lambda x: befriend(m, owner, x), members))
    room = group(m, owner, members)
    send_matrix(m, owner, room, "warm")

    seen = [dict() for _ in members]  # member -> event id -> monotonic time seen
    twice = []
    answered = [0] * len(members)  # syncs answered 200 with events, per member
    stop = threading.Event()
    deadline = [float("inf")]

    def poller(k):
        who = members[k]
        since = m.raw("GET", C + "/sync", token=who["token"],
                      query={"filter": FILTER, "timeout": "0"}).body["next_batch"]
        ready.release()
        while not stop.is_set() and time.monotonic() < deadline[0]:
            r = m.raw("GET", C + "/sync", token=who["token"],
                      query={"since": since, "timeout": "2000", "filter": FILTER})
            now = time.monotonic()
            if r.status != 200:
                continue
            since = r.body["next_batch"]
            if r.body["rooms"]["join"] and not stop.is_set():
                answered[k] += 1
            for joined in r.body["rooms"]["join"].values():
                for e in joined["timeline"]["events"]:
                    if e["event_id"] in seen[k]:
                        twice.append((k, e["event_id"]))
                    seen[k][e["event_id"]] = now

    ready = threading.Semaphore(0)
    threads = [threading.Thread(target=poller, args=(k,)) for k in range(len(members))]
    for t in threads:
        t.start()
    for _ in threads:
        ok(ready.acquire(timeout=120), "every member's first sync")
    time.sleep(1)  # the polls parked

    due = {}
    c0, g0 = cpu_ticks(pid), tree_ticks(pg)
    start = time.monotonic()
    interval = 1.0 / a.rate
    i = 0
    while time.monotonic() - start < a.seconds:
        when = start + i * interval
        due[send_matrix(m, owner, room, f"wake {i}")] = when
        i += 1
        time.sleep(max(0, start + i * interval - time.monotonic()))
    deadline[0] = time.monotonic() + 60
    while time.monotonic() < deadline[0] and any(set(due) - set(s) for s in seen):
        time.sleep(0.05)
    stop.set()
    c1, g1 = cpu_ticks(pid), tree_ticks(pg)
    for t in threads:
        t.join(10)
    copies = len(due) * len(members)
    lat = [s[e] - due[e] for s in seen for e in due if e in s]
    missing = copies - len(lat)
    syncs = sum(answered)
    per = lambda ticks: ticks / TICK / max(len(lat), 1) * 1e6  # noqa: E731
    per_sync = lambda ticks: ticks / TICK / max(syncs, 1) * 1e6  # noqa: E731
    print(f"{len(members)} members, {len(due)} messages at {a.rate}/s, {copies} copies, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"missing {missing}, seen twice {len(twice)}")
    if lat:
        print(f"wake latency from due: p50 {pct(lat, 50) * 1000:.0f} ms, "
              f"p99 {pct(lat, 99) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms")
    print(f"CPU per delivered copy: messenger {per(c1 - c0):.0f} us, "
          f"postgres {per(g1 - g0):.0f} us")
    # Fewer, fuller answers when polls come back late: per sync answered too.
    print(f"syncs answered with the room {syncs} ({syncs / max(len(lat), 1):.2f} per copy); "
          f"CPU per such sync: messenger {per_sync(c1 - c0):.0f} us, "
          f"postgres {per_sync(g1 - g0):.0f} us")
    return 0 if missing == 0 and not twice else 1


if __name__ == "__main__":
    sys.exit(main())
