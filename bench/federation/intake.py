"""The /send intake part of the federation bench: a signing peer (matrix.org's
signedjson, tests/matrix/federation_rooms_test.py's Server) joins rooms of
hs2 and sends pre-built, pre-signed m.room.message PDUs in transactions of 50
through PUT /_matrix/federation/v1/send/{txnId}, one chain per room, one
sender thread per room. Floors in the same run, over the same PDUs: the hash
and signature checks alone (hashlib + libsodium through PyNaCl, the
canonical bytes prepared beforehand) and the same event rows inserted by
psql in one statement."""
import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid

from canonicaljson import encode_canonical_json
from signedjson.key import decode_verify_key_bytes
from unpaddedbase64 import decode_base64

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "matrix"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from federation_rooms_test import F, Federation, Server, event_id_of, redact  # noqa: E402
from matrix_http import C, account, ok, q, until  # noqa: E402

from procstat import Cpu  # noqa: E402

TXN_PDUS = 50


def join_room(hs2, fed, peer, server_name, carol):
    """A public room of carol's on hs2 that the peer's @pat joined; returns
    (room id, pat, auth event ids, join event id, join depth)."""
    def create():
        # 503 while carol's user.created is still on its way to messaging
        # (seen once after the latency phase's load): asked again.
        r = hs2.raw("POST", C + "/createRoom", {"preset": "public_chat"}, token=carol["token"])
        ok(r.status in (200, 503), f"createRoom: {r}")
        return r.body["room_id"] if r.status == 200 else None
    room = until("carol's room on hs2", create, 30)
    pat = f"@pat:{peer.name}"
    template = fed.call(peer, "GET", f"{F}/v1/make_join/{q(room)}/{q(pat)}",
                        query={"ver": "10"}).body
    join_id, join = peer.finish_pdu(template["event"])
    state = fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room)}/{q(join_id)}", join).body["state"]
    auth = [event_id_of(e) for e in state
            if (e["type"], e.get("state_key")) in (("m.room.create", ""),
                                                    ("m.room.power_levels", ""))]
    ok(len(auth) == 2, f"create and power levels in the state: {[e['type'] for e in state]}")
    return room, pat, auth + [join_id], join_id, join["depth"]


def build_chain(peer, room, pat, auth, prev, depth, count, run):
    """`count` signed messages, each after the previous one: [(event id, pdu)]."""
    out = []
    for i in range(count):
        depth += 1
        event_id, pdu = peer.finish_pdu({
            "room_id": room, "sender": pat, "type": "m.room.message",
            "content": {"msgtype": "m.text", "body": f"intake {run} {room} {i}"},
            "prev_events": [prev], "auth_events": auth, "depth": depth,
            "origin_server_ts": int(time.time() * 1000)})
        out.append((event_id, pdu))
        prev = event_id
    return out


def history_ids(m, who, room):
    """The room's message ids on that server, oldest first (/v1 history)."""
    ids, before = [], None
    while True:
        query = {"limit": "100"} | ({"before_seq": before} if before else {})
        page = m.raw("GET", f"/v1/conversations/{q(room)}/messages", token=who["token"],
                     query=query)
        ok(page.status == 200, f"history of {room}: {page}")
        ids += [x["message_id"] for x in page.body["messages"]]
        before = page.body.get("next_before_seq")
        if not before:
            return list(reversed(ids))


def crypto_floor(peer, pdus):
    """CPU seconds of the checks a receiver cannot skip, per PDU: the content
    hash (SHA-256 of the canonical event), the signature (ed25519 over the
    canonical redacted event) and the reference hash (the event id); the
    canonical bytes are made before the clock starts."""
    verify_key = decode_verify_key_bytes(peer.key_id, peer.key.verify_key.encode())
    prepared = []
    for _, pdu in pdus:
        bare = {k: v for k, v in pdu.items() if k not in ("hashes", "signatures", "unsigned")}
        redacted = redact(pdu)
        sig = decode_base64(redacted.pop("signatures")[peer.name][peer.key_id])
        reference = dict(redacted)
        reference.pop("unsigned", None)
        prepared.append((encode_canonical_json(bare), encode_canonical_json(redacted), sig,
                         encode_canonical_json(reference)))
    t0 = time.process_time()
    for content, signed, sig, reference in prepared:
        hashlib.sha256(content).digest()
        verify_key.verify(signed, sig)
        hashlib.sha256(reference).digest()
    return (time.process_time() - t0) / len(prepared)


def db_floor(dsn, rooms, pg_pid):
    """The same rows (the rooms' message events as hs2 stored them) inserted
    again by psql in one INSERT ... SELECT into a copy of the events table
    (same columns and indexes, no foreign key): wall seconds of the INSERT,
    PostgreSQL CPU seconds of the whole psql session (copying the rows out
    included: an upper bound), and the row count."""
    def psql(sql):
        out = subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=1", "-qAt", "-f", "-"],
                             input=sql, capture_output=True, text=True, timeout=300)
        ok(out.returncode == 0, f"psql floor: {out.stderr}")
        return out.stdout
    schema = psql("SELECT table_schema FROM information_schema.tables WHERE table_name ="
                  " 'events' ORDER BY table_schema = 'public' LIMIT 1;").strip()
    ids = ",".join("'" + r + "'" for r in rooms)
    cpu = Cpu(pg_pid, children=True) if pg_pid else None
    out = psql(f"CREATE TEMP TABLE floor_events (LIKE \"{schema}\".events INCLUDING ALL);"
               f"CREATE TEMP TABLE floor_src AS SELECT * FROM \"{schema}\".events"
               f" WHERE room_id IN ({ids}) AND type = 'm.room.message';"
               f"SELECT count(*) FROM floor_src;\n\\timing on\n"
               f"INSERT INTO floor_events SELECT * FROM floor_src;\n")
    rows = int(next(line for line in out.split() if line.isdigit()))
    ms = float(out.split("Time: ")[1].split(" ms")[0])
    return {"rows": rows, "wall_s": ms / 1000, "pg_cpu_s": cpu.seconds() if cpu else None}


def run(hs2, args, hs2_pid, pg_pid):
    peer = Server(args.peer)
    fed = Federation(hs2, "hs2.test")
    tag = uuid.uuid4().hex[:8]
    carol = account(hs2, "fbcarol" + tag)
    per_room = args.intake_pdus // args.intake_rooms // TXN_PDUS * TXN_PDUS
    chains = []
    for _ in range(args.intake_rooms):
        room, pat, auth, join_id, depth = join_room(hs2, fed, peer, "hs2.test", carol)
        chains.append((room, build_chain(peer, room, pat, auth, join_id, depth, per_room, tag)))
    all_pdus = [p for _, chain in chains for p in chain]
    total = len(all_pdus)

    errors, txn_ms = [], []
    lock = threading.Lock()

    def sender(index, room, chain):
        for t in range(0, len(chain), TXN_PDUS):
            batch = chain[t:t + TXN_PDUS]
            body = {"origin": peer.name, "origin_server_ts": int(time.time() * 1000),
                    "pdus": [pdu for _, pdu in batch]}
            s = time.monotonic()
            reply = fed.http.raw("PUT", f"{F}/v1/send/b{tag}-{index}-{t}", body, headers={
                "Authorization": peer.auth_header(fed.destination, "PUT",
                                                  f"{F}/v1/send/b{tag}-{index}-{t}", body)})
            with lock:
                txn_ms.append((time.monotonic() - s) * 1000)
                want = {event_id: {} for event_id, _ in batch}
                if reply.status != 200 or reply.body.get("pdus") != want:
                    errors.append(f"txn {index}/{t}: {reply}"[:300])

    threads = [threading.Thread(target=sender, args=(i, room, chain))
               for i, (room, chain) in enumerate(chains)]
    hs2_cpu, pg_cpu = Cpu(hs2_pid), Cpu(pg_pid, children=True) if pg_pid else None
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    hs2_s, pg_s = hs2_cpu.seconds(), pg_cpu.seconds() if pg_cpu else None

    # Every PDU stored once, nothing else: the rooms' /v1 histories by id.
    stored_missing = stored_extra = 0
    for room, chain in chains:
        got = history_ids(hs2, carol, room)
        want = [event_id for event_id, _ in chain]
        stored_missing += len(set(want) - set(got))
        stored_extra += len(got) - len(set(got)) + len(set(got) - set(want))
    floor = crypto_floor(peer, all_pdus)
    db = db_floor(args.hs2_dsn, [room for room, _ in chains], pg_pid) if args.hs2_dsn else None
    txn_ms.sort()
    return {
        "pdus": total, "rooms": len(chains), "txn_pdus": TXN_PDUS, "wall_s": wall,
        "pdus_per_s": total / wall, "errors": errors[:5], "error_count": len(errors),
        "stored_missing": stored_missing, "stored_extra": stored_extra,
        "txn_ms_p50": txn_ms[len(txn_ms) // 2], "txn_ms_max": txn_ms[-1],
        "hs2_cpu_us_per_pdu": hs2_s / total * 1e6,
        "pg_cpu_us_per_pdu": pg_s / total * 1e6 if pg_s is not None else None,
        "crypto_floor_us_per_pdu": floor * 1e6,
        "db_floor": db,
    }
