"""The outgoing federation sender against a receiving peer: this script is a
homeserver (its own HTTP server on loopback, named in the messenger's
MESSENGER_FEDERATION_HOSTS) that joins a local public room and then receives
what the messenger sends it through PUT /_matrix/federation/v1/send/{txnId}.
Every request's X-Matrix signature and every PDU's signature and content hash
are verified with matrix.org's signedjson/canonicaljson (an independent
implementation). Checked: messages sent over /v1 arrive exactly once and in
order; while the peer is down they queue and arrive once it is back; a peer
answering 500 gets the same txnId again after growing waits; a 400 drops the
transaction (the spec's refusal), a 401 is retried; typing goes out as m.typing
EDUs and a read receipt as an m.receipt EDU.

    /usr/bin/python3 federation_sender_test.py --base http://127.0.0.1:8080 \\
        --server hs1.test --peer peer.test:<seed>:ed25519:p --port 12345 \\
        --backoff-base-ms 200

Exit status 0 when every check passes.
"""
import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import ThreadingHTTPServer

from canonicaljson import encode_canonical_json
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json
from unpaddedbase64 import decode_base64, encode_base64

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from federation_peer import JsonHandler, key_document, parse_x_matrix, verify_keys  # noqa: E402
from federation_rooms_test import Federation, Server, event_id_of, redact  # noqa: E402
from matrix_http import C, MatrixHttp, account, ok, until  # noqa: E402
from validate_response import DEFAULT_SPEC_DIR  # noqa: E402

F = "/_matrix/federation"
SEND = re.compile(r"^/_matrix/federation/v1/send/([^/?]+)$")


class Inbox:
    """What the peer received, shared with its handler threads."""

    def __init__(self, identity, origin, origin_keys):
        self.identity = identity
        self.origin = origin
        self.origin_keys = origin_keys  # key id -> VerifyKey
        self.lock = threading.Lock()
        self.script = []      # statuses to answer the next /send requests with
        self.attempts = []    # (monotonic time, txn id, status, event ids, edus)
        self.answers = {}     # txn id -> body answered 200 (a replay gets it again)
        self.received = []    # event ids of new transactions answered 200, in order
        self.arrived_at = {}  # event id -> monotonic time
        self.pdus = {}
        self.edus = []
        self.errors = []      # verification failures (must stay empty)

    def verify_request(self, method, uri, auth, body):
        ok(auth["origin"] == self.origin, f"origin {auth['origin']}")
        ok(auth["destination"] == self.identity.name, f"destination {auth['destination']}")
        request = {"method": method, "uri": uri, "origin": auth["origin"],
                   "destination": auth["destination"], "content": body,
                   "signatures": {auth["origin"]: {auth["key"]: auth["sig"]}}}
        verify_signed_json(request, self.origin, self.origin_keys[auth["key"]])

    def verify_pdu(self, pdu):
        """Signature of the origin over the redacted event, content hash."""
        ok(pdu["sender"].endswith(":" + self.origin), f"sender {pdu['sender']}")
        for key_id in pdu["signatures"][self.origin]:
            verify_signed_json(redact(pdu), self.origin, self.origin_keys[key_id])
        hashed = {k: v for k, v in pdu.items() if k not in ("hashes", "signatures", "unsigned")}
        digest = encode_base64(hashlib.sha256(encode_canonical_json(hashed)).digest())
        ok(pdu["hashes"]["sha256"] == digest, f"content hash of {pdu}")
        return event_id_of(pdu)

    def transaction(self, txn_id, uri, auth, body):
        """Returns (status, answer) for PUT /send/{txn_id}."""
        now = time.monotonic()
        self.verify_request("PUT", uri, auth, body)
        ok(body["origin"] == self.origin and isinstance(body["origin_server_ts"], int),
           f"transaction {body}")
        ok(len(body["pdus"]) <= 50 and len(body.get("edus", [])) <= 100, "transaction limits")
        ids = [self.verify_pdu(p) for p in body["pdus"]]
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            self.attempts.append((now, txn_id, status, ids, body.get("edus", [])))
            if status != 200:
                return status, {"errcode": "M_UNKNOWN", "error": f"scripted {status}"}
            if txn_id not in self.answers:  # a replay is answered, not processed again
                self.answers[txn_id] = {"pdus": {i: {} for i in ids}}
                for event_id, pdu in zip(ids, body["pdus"]):
                    self.received.append(event_id)
                    self.arrived_at.setdefault(event_id, now)
                    self.pdus[event_id] = pdu
                self.edus.extend(body.get("edus", []))
            return 200, self.answers[txn_id]


def handler_for(inbox):
    class Handler(JsonHandler):
        def do_GET(self):
            if self.path != "/_matrix/key/v2/server":
                return self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": self.path})
            me = inbox.identity
            self.answer(200, key_document(me.name, me.key_id, me.key))

        def do_PUT(self):
            match = SEND.match(self.path)
            if not match:
                return self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": self.path})
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                auth = parse_x_matrix(self.headers["Authorization"])
                status, answer = inbox.transaction(
                    urllib.parse.unquote(match.group(1)), self.path, auth, body)
            except (AssertionError, KeyError, SignatureVerifyException, TypeError,
                    ValueError) as e:
                with inbox.lock:
                    inbox.errors.append(f"{self.path}: {e!r}")
                return self.answer(401, {"errcode": "M_UNAUTHORIZED", "error": repr(e)})
            self.answer(status, answer)

        def log_message(self, *args):
            pass
    return Handler


class PeerServer:
    """The peer's HTTP server, stopped and started again on the same port."""

    def __init__(self, port, inbox):
        self.port, self.inbox, self.httpd = port, inbox, None

    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler_for(self.inbox))
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def metric(base, name):
    """The sum of a metric's series in the messenger's /metrics."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        text = r.read().decode()
    values = [float(line.split()[-1]) for line in text.splitlines()
              if line.startswith(name + " ") or line.startswith(name + "{")]
    return sum(values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backoff-base-ms", type=int, required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    m.spec.api_dir = os.path.join(DEFAULT_SPEC_DIR, "api", "server-server")
    identity = Server(args.peer)
    keys = m.raw("GET", "/_matrix/key/v2/server").body
    verify_keys(keys, args.server)
    origin_keys = {k: decode_verify_key_bytes(k, decode_base64(v["key"]))
                   for k, v in keys["verify_keys"].items()}
    inbox = Inbox(identity, args.server, origin_keys)
    peer = PeerServer(args.port, inbox)
    peer.start()
    tag = uuid.uuid4().hex[:8]
    q = urllib.parse.quote

    # The peer's user joins a public room of the messenger (make_join, send_join).
    alice = account(m, "sendalice" + tag)
    room = m.raw("POST", C + "/createRoom", {"preset": "public_chat", "name": "outgoing"},
                 token=alice["token"])
    ok(room.status == 200, f"createRoom: {room}")
    room_id = room.body["room_id"]
    fed = Federation(m, args.server)
    pat = f"@pat:{identity.name}"
    template = fed.call(identity, "GET", f"{F}/v1/make_join/{q(room_id)}/{q(pat)}",
                        query={"ver": "10"}).body
    join_id, join = identity.finish_pdu(template["event"])
    fed.call(identity, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q(join_id)}", join,
             spec=("joins-v2.yaml", "/send_join/{roomId}/{eventId}"))

    def send(text):
        r = m.raw("POST", "/v1/messages", {"conversation_id": room_id, "text": text,
                                           "client_msg_id": str(uuid.uuid4())},
                  token=alice["token"])
        ok(r.status == 201, f"send {text}: {r}")
        return r.body["message_id"], time.monotonic()

    def arrived(ids, deadline_s=60):
        until(f"{len(ids)} messages at the peer",
              lambda: all(i in inbox.arrived_at for i in ids), deadline_s)
        with inbox.lock:
            got = [i for i in inbox.received if i in set(ids)]
        ok(got == ids, f"exactly once and in order: {got} != {ids}")
        for i in ids:
            ok(inbox.pdus[i]["type"] == "m.room.message" and inbox.pdus[i]["room_id"] == room_id,
               f"the PDU: {inbox.pdus[i]}")

    def check_clean():
        with inbox.lock:
            ok(not inbox.errors, f"verification failures: {inbox.errors}")
            counts = {}
            for i in inbox.received:
                counts[i] = counts.get(i, 0) + 1
            twice = [i for i, n in counts.items() if n > 1]
            ok(not twice, f"received twice: {twice}")

    # 1. N messages arrive, signed, verifiable, once, in order.
    sent = [send(f"message {i}") for i in range(20)]
    ids = [i for i, _ in sent]
    arrived(ids)
    check_clean()
    latencies = sorted((inbox.arrived_at[i] - t) * 1000 for i, t in sent)
    print(f"send->peer latency over {len(latencies)} messages: "
          f"p50 {statistics.median(latencies):.0f} ms, max {latencies[-1]:.0f} ms")
    for i, pdu in zip(ids, (inbox.pdus[i] for i in ids)):
        ok(pdu["content"]["body"] == f"message {ids.index(i)}", f"body: {pdu}")

    # 2. The peer is down: the messages wait in the queue and arrive once it is back.
    failed = metric(args.base, "messenger_federation_transactions_failed_total")
    peer.stop()
    down = [send(f"while down {i}")[0] for i in range(10)]
    until("a failed attempt while the peer is down",
          lambda: metric(args.base, "messenger_federation_transactions_failed_total") > failed)
    ok(not any(i in inbox.arrived_at for i in down), "nothing arrived while down")
    peer.start()
    arrived(down)
    arrived(ids + down)
    check_clean()

    # 3. 500 three times, then 200: the same txnId each time, after growing waits.
    with inbox.lock:
        inbox.script = [500, 500, 500]
    retried, _ = send("retried")
    arrived([retried])
    with inbox.lock:
        tries = [a for a in inbox.attempts if retried in a[3]]
    ok([a[2] for a in tries] == [500, 500, 500, 200], f"attempts: {[a[1:3] for a in tries]}")
    ok(len({a[1] for a in tries}) == 1, f"one txnId: {[a[1] for a in tries]}")
    gaps = [(b[0] - a[0]) * 1000 for a, b in zip(tries, tries[1:])]
    print("retry gaps after 500s: " + ", ".join(f"{g:.0f} ms" for g in gaps))
    for k, gap in enumerate(gaps):
        # base * 2^k times a jitter of at least 1/2 (a little slack for timers)
        floor = args.backoff_base_ms * (2 ** k) * 0.5 * 0.9
        ok(gap >= floor, f"retry {k + 1} after {gap:.0f} ms < {floor:.0f} ms: no backoff")
    check_clean()

    # 4. A 400 refuses the transaction for good: it is dropped, not retried,
    #    and what follows still goes. A 401 (say, our keys not fetched yet) is
    #    retried under the same txnId.
    refused = metric(args.base, "messenger_federation_transactions_refused_total")
    with inbox.lock:
        inbox.script = [400]
    dropped, _ = send("refused")
    until("the refused attempt", lambda: any(dropped in a[3] for a in inbox.attempts))
    after, _ = send("after the refusal")
    arrived([after])
    with inbox.lock:
        tries = [a for a in inbox.attempts if dropped in a[3]]
    ok(len(tries) == 1 and tries[0][2] == 400, f"the refused transaction again: {tries}")
    ok(dropped not in inbox.arrived_at, "the refused message was sent again")
    ok(metric(args.base, "messenger_federation_transactions_refused_total") == refused + 1,
       "messenger_federation_transactions_refused_total counts the refusal")
    with inbox.lock:
        inbox.script = [401]
    unauthorized, _ = send("after a 401")
    arrived([unauthorized])
    with inbox.lock:
        tries = [a for a in inbox.attempts if unauthorized in a[3]]
    ok([a[2] for a in tries] == [401, 200] and tries[0][1] == tries[1][1],
       f"a 401 is retried under the same txnId: {[a[1:3] for a in tries]}")
    check_clean()

    # 5. EDUs: alice's typing reaches the peer as m.typing (best effort, in
    #    signed transactions like the PDUs), on and then off.
    def typed(on):
        r = m.raw("PUT", f"/v1/conversations/{q(room_id)}/typing", {"typing": on},
                  token=alice["token"])
        ok(r.status == 204, f"typing {on}: {r}")
        want = {"edu_type": "m.typing",
                "content": {"room_id": room_id, "user_id": alice["user_id"], "typing": on}}
        until(f"m.typing {on} at the peer", lambda: want in inbox.edus)
    typed(True)
    typed(False)
    check_clean()

    # 6. alice's read receipt (/v1 seen) reaches the peer as m.receipt: her
    #    m.read on the message at that seq, with the time it moved.
    page = m.raw("GET", f"/v1/conversations/{q(room_id)}/messages", token=alice["token"],
                 query={"limit": "5"})
    ok(page.status == 200, f"history: {page}")
    seq = next(x["seq"] for x in page.body["messages"] if x["message_id"] == unauthorized)
    before = int(time.time() * 1000)
    r = m.raw("POST", f"/v1/conversations/{q(room_id)}/seen", {"seq": seq}, token=alice["token"])
    ok(r.status == 204, f"seen: {r}")

    def receipt():
        for edu in list(inbox.edus):
            read = edu.get("content", {}).get(room_id, {}).get("m.read", {})
            if edu.get("edu_type") == "m.receipt" and alice["user_id"] in read:
                return read[alice["user_id"]]
        return None
    got = until("m.receipt at the peer", receipt)
    ok(got["event_ids"] == [unauthorized], f"the receipt's event: {got}")
    ok(isinstance(got["data"]["ts"], int) and got["data"]["ts"] >= before - 5000,
       f"the receipt's ts: {got}")
    check_clean()
    peer.stop()
    print(f"OK ({len(inbox.received)} PDUs in {len(inbox.answers)} transactions verified)")


if __name__ == "__main__":
    main()
