"""Federation bench (issue 16), against two running messenger homeservers
hs1.test and hs2.test and a signing peer's key server (hs3.test,
tests/e2e/federation_peer.py serve); bench/federation/run.sh starts them all
(through the disabled gtest FederationTwoServersE2eTest.DISABLED_Bench).

1. Cross-server latency: SENDERS users of hs1 send m.room.message into a
   room of hs1 that READERS users of hs2 joined (make_join/send_join), open
   loop at RATE msg/s (each send due at a fixed time, latency from that
   time); the hs2 users long-poll /v1/sync. Every message is checked by its
   text and event id in every reader's sync: lost, duplicated, misdelivered
   (another id or room, or unknown) and out of order (against hs1's own
   history order) fail the run.
2. /send intake (intake.py): PDUs per second hs2 accepts from the peer in
   transactions of 50, signature and hash checks included, hs2's CPU per
   PDU, against floors measured in the same run.

    federation_bench.py --hs1 URL --hs2 URL --peer NAME:SEED:KEYID
        [--rate 200] [--seconds 30] [--senders 4] [--readers 2]
        [--intake-pdus 8000] [--intake-rooms 4] [--hs2-dsn DSN] [--pg-port N]
        [--target-p99-ms 1000] [--target-intake 500] [--target-cpu-us 2000]
        [--drop-one] [--out PREFIX]

Exit status 0 when every check passes and every target is met, 2 when a
check failed or a target was missed. --drop-one makes the checker ignore
one delivery (the run then fails with 1 lost: how the check was shown to
bite).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intake  # noqa: E402
from procstat import Cpu, listening_pid, pct  # noqa: E402
from matrix_http import C, MatrixHttp, account, ok, q, until  # noqa: E402


class Reader(threading.Thread):
    """One hs2 user's /v1/sync long-poll loop: every message event, with
    when it arrived."""

    def __init__(self, hs2, who):
        super().__init__(daemon=True)
        self.hs2, self.who = hs2, who
        self.got = []  # (monotonic arrival, conversation id, message id, text)
        self.errors = []
        self.stop = threading.Event()
        self.since = hs2.raw("GET", "/v1/sync", token=who["token"]).body["next"]

    def run(self):
        while not self.stop.is_set():
            try:
                r = self.hs2.raw("GET", "/v1/sync", token=self.who["token"],
                                 query={"since": self.since, "timeout_ms": "2000"})
            except OSError as e:  # a reset or timeout: counted, the loop goes on
                self.errors.append(repr(e)[:200])
                continue
            now = time.monotonic()
            if r.status != 200:
                self.errors.append(str(r)[:200])
                time.sleep(0.05)
                continue
            self.since = r.body["next"]
            for e in r.body["events"]:
                if e["type"] == "message":
                    m = e["message"]
                    self.got.append((now, e["conversation_id"], m["message_id"], m["text"]))


def send(hs1, who, room, text):
    r = hs1.raw("PUT", f"{C}/rooms/{q(room)}/send/m.room.message/{uuid.uuid4().hex}",
                {"msgtype": "m.text", "body": text}, token=who["token"])
    return r.body["event_id"] if r.status == 200 else None


def latency(a, hs1, hs2, pids):
    run = uuid.uuid4().hex[:8]
    alices = [account(hs1, f"fbalice{i}{run}") for i in range(a.senders)]
    bobs = [account(hs2, f"fbbob{i}{run}") for i in range(a.readers)]
    room = hs1.call(None, "POST", C + "/createRoom", {"preset": "public_chat"},
                    token=alices[0]["token"]).body["room_id"]
    for alice in alices[1:]:
        hs1.call(None, "POST", f"{C}/join/{q(room)}", {}, token=alice["token"])
    for bob in bobs:
        hs2.call(None, "POST", f"{C}/join/{q(room)}", {}, token=bob["token"],
                 query={"server_name": "hs1.test"})
    # Sends only once hs1 has every hs2 join: a send racing a later hs2
    # user's join (which hs2 makes itself and sends to hs1) stalled delivery
    # to hs2 in 4 of 7 runs (see the 2026-12-01T1211 report).
    members = {x["user_id"] for x in alices + bobs}
    until("hs2's joins on hs1", lambda: members <= set(hs1.call(
        None, "GET", f"{C}/rooms/{q(room)}/joined_members",
        token=alices[0]["token"]).body["joined"]), 60)
    readers = [Reader(hs2, bob) for bob in bobs]
    for r in readers:
        r.start()
    # Warm-up: one message per sender, seen by every reader, not measured.
    warm = [send(hs1, alice, room, f"warm {run} {i}") for i, alice in enumerate(alices)]
    ok(all(warm), "warm-up sends")
    try:
        until("the warm-up on hs2", lambda: all(
            set(warm) <= {g[2] for g in r.got} for r in readers), 60)
    except AssertionError:
        print(f"warm-up {warm}; readers got {[r.got for r in readers]}, "
              f"errors {[r.errors[:3] for r in readers]}, alive "
              f"{[r.is_alive() for r in readers]}", flush=True)
        raise

    total = a.rate * a.seconds
    sent = [None] * total        # event id per message
    send_ms = [None] * total     # due -> answer
    cpu = {name: Cpu(pid, children=(name == "postgres")) for name, pid in pids.items()}
    client = os.times()
    t0 = time.monotonic() + 0.2
    due = [t0 + k / a.rate for k in range(total)]

    def one(k):
        sent[k] = send(hs1, alices[k % len(alices)], room, f"fb {run} {k}")
        send_ms[k] = (time.monotonic() - due[k]) * 1000

    with ThreadPoolExecutor(64) as pool:
        for k in range(total):
            time.sleep(max(0.0, due[k] - time.monotonic()))
            pool.submit(one, k)
    send_end = time.monotonic()
    expected = {f"fb {run} {k}": sent[k] for k in range(total) if sent[k]}

    def arrived():
        return all(len({g[3] for g in r.got} & expected.keys()) >= len(expected)
                   for r in readers)
    deadline = time.monotonic() + a.drain_seconds
    while not arrived() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # late duplicates show up too
    for r in readers:
        r.stop.set()
    cpu_s = {name: c.seconds() for name, c in cpu.items()}
    client = sum(os.times()[:2]) - sum(client[:2])
    for r in readers:
        r.join(5)

    order = intake.history_ids(hs1, alices[0], room)
    lat, lost, dup, mis, disorder = [], 0, 0, 0, 0
    first_reader = True
    for r in readers:
        got = list(r.got)
        if a.drop_one and first_reader:
            got = [g for g in got if g[3] != f"fb {run} 0"]
        first_reader = False
        seen = {}
        for when, conv, mid, text in got:
            if conv != room or (text.startswith("fb ") and expected.get(text) != mid):
                mis += 1
            elif text in expected:
                seen.setdefault(text, []).append(when)
        for text in expected:
            times = seen.get(text, [])
            if not times:
                lost += 1
            else:
                dup += len(times) - 1
                lat.append((times[0] - due[int(text.split()[-1])]) * 1000)
        ids = [g[2] for g in got if g[1] == room]
        known = set(ids)
        if ids != [i for i in order if i in known]:
            disorder += 1
    done = [x for x in send_ms if x is not None]
    return {
        "rate": a.rate, "seconds": a.seconds, "senders": a.senders, "readers": a.readers,
        "messages": total, "send_failed": total - len(expected),
        "achieved_rate": len(expected) / (send_end - t0),
        "send_ms_p50": pct(done, 50), "send_ms_p99": pct(done, 99),
        "lat_ms_p50": pct(lat, 50) if lat else None, "lat_ms_p99": pct(lat, 99) if lat else None,
        "lat_ms_max": max(lat) if lat else None, "copies": len(lat),
        "lost": lost, "duplicated": dup, "misdelivered": mis, "readers_out_of_order": disorder,
        "sync_errors": sum(len(r.errors) for r in readers),
        "cpu_us_per_msg": {k: v / max(len(expected), 1) * 1e6 for k, v in cpu_s.items()}
        | {"client": client / max(len(expected), 1) * 1e6},
    }


def verdict(a, lat, intake_r):
    failures, missed = [], []
    for field in ("send_failed", "lost", "duplicated", "misdelivered", "readers_out_of_order"):
        if lat[field]:
            failures.append(f"latency: {lat[field]} {field.replace('_', ' ')}")
    if intake_r["error_count"] or intake_r["stored_missing"] or intake_r["stored_extra"]:
        failures.append(f"intake: {intake_r['error_count']} transactions not fully accepted, "
                        f"{intake_r['stored_missing']} PDUs not stored, "
                        f"{intake_r['stored_extra']} stored extra")
    if lat["lat_ms_p99"] is None or lat["lat_ms_p99"] > a.target_p99_ms:
        missed.append(f"cross-server p99 {lat['lat_ms_p99']} ms > {a.target_p99_ms} ms")
    if lat["achieved_rate"] < 0.95 * a.rate:
        missed.append(f"sent {lat['achieved_rate']:.0f} msg/s < 95% of {a.rate}")
    if intake_r["pdus_per_s"] < a.target_intake:
        missed.append(f"intake {intake_r['pdus_per_s']:.0f} PDUs/s < {a.target_intake}")
    if intake_r["hs2_cpu_us_per_pdu"] > a.target_cpu_us:
        missed.append(f"hs2 CPU {intake_r['hs2_cpu_us_per_pdu']:.0f} us/PDU > {a.target_cpu_us}")
    return failures, missed


def markdown(a, lat, ir, failures, missed, load):
    f = lambda v, d=0: "-" if v is None else f"{v:,.{d}f}"  # noqa: E731
    db = ir["db_floor"] or {}
    cpu = lat["cpu_us_per_msg"]
    lines = [
        f"# Federation bench {time.strftime('%Y-%m-%dT%H:%M', time.gmtime())} UTC",
        "", f"**{'PASSED' if not failures and not missed else 'FAILED'}**", "",
        *[f"- check failed: {x}" for x in failures], *[f"- target missed: {x}" for x in missed],
        "", f"Command: `{' '.join(sys.argv)}`", f"Load before/after (uptime): {load[0]} / {load[1]}",
        "", "## Targets", "",
        f"- cross-server p99 <= {a.target_p99_ms} ms at {a.rate} msg/s sent (>= 95% of it)",
        f"- /send intake >= {a.target_intake} PDUs/s; hs2 CPU <= {a.target_cpu_us} us per PDU",
        "", "## Cross-server latency (hs1 send -> hs2 /v1/sync), open loop", "",
        "| rate | sent/s | messages x readers | p50 ms | p99 ms | max ms | send p50/p99 ms "
        "(from due) | lost | dup | misdelivered | out of order |", "|" + "---|" * 11,
        f"| {a.rate} | {f(lat['achieved_rate'])} | {lat['messages']} x {lat['readers']} | "
        f"{f(lat['lat_ms_p50'])} | {f(lat['lat_ms_p99'])} | {f(lat['lat_ms_max'])} | "
        f"{f(lat['send_ms_p50'])} / {f(lat['send_ms_p99'])} | {lat['lost']} | "
        f"{lat['duplicated']} | {lat['misdelivered']} | {lat['readers_out_of_order']} |", "",
        "CPU per message sent (us; postgres is the one cluster of both servers' databases, "
        "client this bench's process): " + ", ".join(f"{k} {f(v)}" for k, v in cpu.items()),
        "", "## /send intake (peer hs3.test -> hs2, 50 PDUs a transaction)", "",
        "| PDUs | rooms (concurrent senders) | PDUs/s | txn p50 / max ms | hs2 CPU us/PDU | "
        "PostgreSQL CPU us/PDU | floor: hash+sig checks us/PDU | floor: rows by psql us/PDU "
        "(wall / PG CPU) |", "|" + "---|" * 8,
        f"| {ir['pdus']} | {ir['rooms']} | {f(ir['pdus_per_s'])} | {f(ir['txn_ms_p50'])} / "
        f"{f(ir['txn_ms_max'])} | {f(ir['hs2_cpu_us_per_pdu'])} | "
        f"{f(ir['pg_cpu_us_per_pdu'])} | {f(ir['crypto_floor_us_per_pdu'], 1)} | "
        + (f"{f(db['wall_s'] / db['rows'] * 1e6, 1)} / "
           f"{f((db['pg_cpu_s'] or 0) / db['rows'] * 1e6, 1)} ({db['rows']} rows) |"
           if db else "- |"), "",
        f"hs2 CPU per PDU / hash+sig floor: "
        f"{ir['hs2_cpu_us_per_pdu'] / ir['crypto_floor_us_per_pdu']:.1f}x",
    ]
    if ir["errors"]:
        lines += ["", "First intake errors:", *[f"- `{e}`" for e in ir["errors"]]]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hs1", required=True)
    p.add_argument("--hs2", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--peer-address")
    p.add_argument("--hs2-dsn")
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--drain-seconds", type=int, default=60)
    p.add_argument("--senders", type=int, default=4)
    p.add_argument("--readers", type=int, default=2)
    p.add_argument("--intake-pdus", type=int, default=8000)
    p.add_argument("--intake-rooms", type=int, default=4)
    p.add_argument("--target-p99-ms", type=float, default=1000)
    p.add_argument("--target-intake", type=float, default=500)
    p.add_argument("--target-cpu-us", type=float, default=2000)
    p.add_argument("--drop-one", action="store_true")
    p.add_argument("--out")
    a = p.parse_args()
    hs1, hs2 = MatrixHttp(a.hs1), MatrixHttp(a.hs2)
    hs1_pid = listening_pid(int(a.hs1.rsplit(":", 1)[1]))
    hs2_pid = listening_pid(int(a.hs2.rsplit(":", 1)[1]))
    pg_pid = None
    if a.hs2_dsn and "port=" in a.hs2_dsn:
        pg_port = int(a.hs2_dsn.split("port=")[1].split()[0])
        postmaster = listening_pid(pg_port)
        pg_pid = postmaster
    load = [subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()]
    pids = {"hs1": hs1_pid, "hs2": hs2_pid} | ({"postgres": pg_pid} if pg_pid else {})
    lat = latency(a, hs1, hs2, pids)
    print(json.dumps(lat, indent=1), flush=True)
    ir = intake.run(hs2, a, hs2_pid, pg_pid)
    print(json.dumps(ir, indent=1), flush=True)
    load.append(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    failures, missed = verdict(a, lat, ir)
    md = markdown(a, lat, ir, failures, missed, load)
    print(md)
    if a.out:
        with open(a.out + ".md", "w") as f:
            f.write(md)
        with open(a.out + ".json", "w") as f:
            json.dump({"failures": failures, "missed": missed, "command": sys.argv,
                       "load": load, "latency": lat, "intake": ir}, f, indent=1)
    return 2 if failures or missed else 0


if __name__ == "__main__":
    sys.exit(main())
