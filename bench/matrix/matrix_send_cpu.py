"""CPU per Matrix send (issue 14): a fixed rate of
PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId} into ROOMS
rooms of two members, the second member long-polling /v3/sync as the sync
bench does; the CPU time (utime + stime from /proc) of the messenger process,
of PostgreSQL (postmaster and its children) and of this client, per message.

    /usr/bin/python3 matrix_send_cpu.py --base URL --pg-port PORT [--rooms 50]
        [--rate 150] [--seconds 20] [--no-poll] [--perf-out perf.data]

--perf-out records `perf record -g` of the messenger process during the
measured window. Standard library only.
"""
import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matrix_sync_bench import C, FILTER, listening_pid, pct, send_matrix, setup  # noqa: E402
from matrix_sync_bench import MatrixHttp, account, befriend  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        cols = f.read().rsplit(")", 1)[1].split()
    return int(cols[11]) + int(cols[12])  # utime, stime


def tree_ticks(root):
    """CPU ticks of `root` and its children (PostgreSQL's backends)."""
    total = cpu_ticks(root)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == root:
                total += cpu_ticks(int(pid))
        except (OSError, ValueError):
            continue
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--pg-port", type=int, required=True)
    p.add_argument("--rooms", type=int, default=50)
    p.add_argument("--rate", type=int, default=150)
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--no-poll", action="store_true")
    p.add_argument("--perf-out")
    a = p.parse_args()
    m = MatrixHttp(a.base)
    pid = listening_pid(int(a.base.rsplit(":", 1)[1]))
    pg = listening_pid(a.pg_port)
    run = uuid.uuid4().hex[:8]
    alice, bob = account(m, f"cpualice{run}"), account(m, f"cpubob{run}")
    befriend(m, alice, bob)
    rooms = setup(m, alice, bob, a.rooms, 1)
    for room in rooms:  # every room loaded in the writer before the window
        send_matrix(m, alice, room, "warm")

    stop = threading.Event()

    def poller():
        since = m.raw("GET", C + "/sync", token=bob["token"],
                      query={"filter": FILTER, "timeout": "0"}).body["next_batch"]
        while not stop.is_set():
            r = m.raw("GET", C + "/sync", token=bob["token"],
                      query={"since": since, "timeout": "2000", "filter": FILTER})
            if r.status == 200:
                since = r.body["next_batch"]

    poll = None if a.no_poll else threading.Thread(target=poller)
    if poll:
        poll.start()
        time.sleep(0.5)
    perf = None
    if a.perf_out:
        perf = subprocess.Popen(["perf", "record", "-g", "-o", a.perf_out, "-p", str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    lat = []
    failed = []
    c0, g0, t0 = cpu_ticks(pid), tree_ticks(pg), os.times()
    start = time.monotonic()
    interval = 1.0 / a.rate
    i = 0
    with ThreadPoolExecutor(32) as pool:
        def one(k):
            s = time.monotonic()
            try:
                send_matrix(m, alice, rooms[k % len(rooms)], f"cpu {k}")
                lat.append(time.monotonic() - s)
            except AssertionError as e:
                failed.append(str(e))
        while time.monotonic() - start < a.seconds:
            pool.submit(one, i)
            i += 1
            time.sleep(max(0, start + i * interval - time.monotonic()))
    wall = time.monotonic() - start
    c1, g1, t1 = cpu_ticks(pid), tree_ticks(pg), os.times()
    if perf:
        perf.send_signal(2)
        perf.wait(60)
    stop.set()
    if poll:
        poll.join(10)
    sent = len(lat)
    per = lambda ticks: ticks / TICK / max(sent, 1) * 1000  # noqa: E731
    client = (t1.user + t1.system) - (t0.user + t0.system)
    print(f"rate {a.rate}/s target, {sent} sent in {wall:.1f} s ({sent / wall:.0f}/s), "
          f"failed {len(failed)}, poll {'off' if a.no_poll else 'on'}, load {os.getloadavg()[0]:.2f}")
    print(f"send latency p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms")
    print(f"CPU per message: messenger {per(c1 - c0):.3f} ms, postgres {per(g1 - g0):.3f} ms, "
          f"client {client / max(sent, 1) * 1000:.3f} ms")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
