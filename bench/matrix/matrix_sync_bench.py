"""Matrix sync bench (issue 14, "Performance") against a running messenger:

- initial /v3/sync (timeline limit 10, lazy-loaded members) of a user in
  ROOMS rooms of MESSAGES messages each: latency percentiles;
- incremental sync wake latency: a second user long-polls /v3/sync while
  the first sends (Matrix send) at RATE msg/s, open loop, into rooms they
  share; the time from each send's due time to the poll answering with its
  event id (every message checked);
- RSS of the messenger process per open long poll, /v3/sync next to
  /v1/sync (POLLS polls held open).

    /usr/bin/python3 matrix_sync_bench.py --base URL [--rooms 500]
        [--messages 20] [--rate 500] [--seconds 10] [--polls 200] [--out report.md]

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


def cpu_s(pid):
    """User + system CPU seconds the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def initial_syncs(m, bob, runs, pid):
    """Wall times and the messenger's CPU seconds of each initial sync (the
    CPU time is less sensitive to the machine's load than the wall time)."""
    times, cpu, failed, body = [], [], [], None
    for _ in range(runs):
        c0, t0 = cpu_s(pid), time.monotonic()
        r = m.raw("GET", C + "/sync", token=bob["token"], query={"filter": FILTER})
        times.append(time.monotonic() - t0)
        cpu.append(cpu_s(pid) - c0)
        # Counted and reported, not fatal: an overloaded machine answers 504.
        if r.status == 200:
            body = r.body
        else:
            failed.append(r.status)
    ok(body is not None, f"no initial sync answered 200: {failed}")
    return times, cpu, failed, body


def send_matrix(m, who, room, text):
    """A Matrix send; returns the event id."""
    r = m.raw("PUT", f"{C}/rooms/{room}/send/m.room.message/{uuid.uuid4().hex}",
              {"msgtype": "m.text", "body": text}, token=who["token"])
    ok(r.status == 200, f"send: {r}")
    return r.body["event_id"]


def wake_latency(m, alice, bob, rooms, rate, seconds):
    """Open loop: message k is due at start + k / rate whatever the answers
    before it; its latency runs from that due time to the moment bob's long
    poll answers with its event id."""
    since = m.raw("GET", C + "/sync", token=bob["token"],
                  query={"filter": FILTER, "timeout": "0"}).body["next_batch"]
    due = {}  # event id -> monotonic due time of its send
    seen = {}  # event id -> monotonic time the long poll answered with it
    failed = []
    stop = threading.Event()

    def poller():
        nonlocal since
        while not stop.is_set() or (set(due) - set(seen) and time.monotonic() < deadline):
            r = m.raw("GET", C + "/sync", token=bob["token"],
                      query={"since": since, "timeout": "2000", "filter": FILTER})
            now = time.monotonic()
            if r.status != 200:
                continue
            since = r.body["next_batch"]
            for room in r.body["rooms"]["join"].values():
                for e in room["timeline"]["events"]:
                    seen.setdefault(e["event_id"], now)

    deadline = time.monotonic() + seconds + 15
    t = threading.Thread(target=poller)
    t.start()
    interval = 1.0 / rate
    start = time.monotonic()
    i = 0
    with ThreadPoolExecutor(64) as pool:
        def one(k, when):
            try:
                due[send_matrix(m, alice, rooms[k % len(rooms)], f"wake {k}")] = when
            except AssertionError as e:
                failed.append(str(e))
        while time.monotonic() - start < seconds:
            pool.submit(one, i, start + i * interval)
            i += 1
            time.sleep(max(0, start + i * interval - time.monotonic()))
    stop.set()
    t.join(seconds + 30)
    lat = [seen[e] - due[e] for e in due if e in seen]
    missing = [e for e in due if e not in seen]
    return {"lat": lat, "scheduled": i, "sent": len(due), "failed": failed,
            "missing": missing, "rate": i / seconds}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def poll_memory(m, bob, pid, polls, matrix):
    """RSS growth of the messenger while `polls` long polls are open."""
    if matrix:
        since = m.raw("GET", C + "/sync", token=bob["token"],
                      query={"filter": FILTER, "timeout": "0"}).body["next_batch"]
        path, query = C + "/sync", {"since": since, "timeout": "20000", "filter": FILTER}
    else:
        since = m.raw("GET", "/v1/sync", token=bob["token"]).body["next"]
        path, query = "/v1/sync", {"since": since, "timeout_ms": "20000"}
    before = rss_kib(pid)
    threads = [threading.Thread(target=m.raw, args=("GET", path),
                                kwargs={"token": bob["token"], "query": query})
               for _ in range(polls)]
    for t in threads:
        t.start()
    time.sleep(5)  # a settle time only; the number is read while they are open
    during = rss_kib(pid)
    for t in threads:
        t.join(40)
    return before, during, (during - before) / polls


def listening_pid(port):
    """The pid of the process listening on 127.0.0.1:port (same user)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].split(":")[1], 16) == port:
                    inodes.add(cols[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    raise AssertionError(f"no process listens on port {port}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--rooms", type=int, default=500)
    p.add_argument("--messages", type=int, default=20)
    p.add_argument("--rate", type=int, default=500)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--polls", type=int, default=200, help="long polls open for the RSS reading")
    p.add_argument("--out")
    a = p.parse_args()
    m = MatrixHttp(a.base)
    pid = listening_pid(int(a.base.rsplit(":", 1)[1]))
    run = uuid.uuid4().hex[:8]
    alice, bob = account(m, f"benchalice{run}"), account(m, f"benchbob{run}")
    befriend(m, alice, bob)
    # First, while the heap is quiet: after the big syncs RSS falls as the
    # allocator returns memory, which hides the polls.
    mem = {kind: poll_memory(m, bob, pid, a.polls, kind == "matrix") for kind in ("matrix", "v1")}
    t0 = time.monotonic()
    rooms = setup(m, alice, bob, a.rooms, a.messages)
    setup_s = time.monotonic() - t0
    times, cpu, failed, body = initial_syncs(m, bob, a.runs, pid)
    joined = len(body["rooms"]["join"])
    size = len(json.dumps(body))
    w = wake_latency(m, alice, bob, rooms, a.rate, a.seconds)
    lat = w["lat"]
    lines = [
        "# Matrix sync bench",
        "",
        "    " + " ".join(["/usr/bin/python3 bench/matrix/matrix_sync_bench.py"] + sys.argv[1:]),
        "",
        f"Setup: {a.rooms} rooms x {a.messages} messages (2 members each) in {setup_s:.0f} s.",
        "",
        f"## Initial /v3/sync (timeline limit 10, lazy members), {a.runs} runs",
        "",
        f"- rooms in the answer: {joined}; answer size {size / 1024:.0f} KiB",
        f"- p50 {pct(times, 50) * 1000:.0f} ms, p90 {pct(times, 90) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms (goal: p50 <= 1000 ms)",
        f"- the first (nothing cached yet): {times[0] * 1000:.0f} ms",
        f"- answers other than 200: {len(failed)} {failed}",
        f"- CPU of the messenger process (gateway + messaging, not PostgreSQL) per sync: "
        f"p50 {pct(cpu, 50) * 1000:.0f} ms, max {max(cpu) * 1000:.0f} ms, "
        f"first {cpu[0] * 1000:.0f} ms",
        "",
        f"## Incremental sync wake latency, open loop at {a.rate} msg/s for {a.seconds} s",
        "",
        f"- scheduled {w['scheduled']} ({w['rate']:.0f} msg/s), answered {w['sent']}, "
        f"failed {len(w['failed'])}; seen by id in bob's sync {len(lat)}, "
        f"missing {len(w['missing'])}",
    ]
    if lat:
        lines.append(f"- from the due send time: p50 {pct(lat, 50) * 1000:.1f} ms, "
                     f"p99 {pct(lat, 99) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms "
                     f"(goal: p99 <= 50 ms)")
    lines += ["", f"## Memory per open long poll ({a.polls} polls of one user, RSS of the "
              "all-in-one process: gateway + messaging, read before the rooms are made)", ""]
    for kind, (before, during, per) in mem.items():
        name = "/_matrix/client/v3/sync" if kind == "matrix" else "/v1/sync"
        lines.append(f"- {name}: {before} KiB -> {during} KiB, {per:.1f} KiB per poll")
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        with open(a.out, "w") as f:
            f.write(report)
    ok(not w["missing"] and not w["failed"], "every wake message was sent and seen by id")
    return 0


if __name__ == "__main__":
    sys.exit(main())
