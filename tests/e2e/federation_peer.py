#!/usr/bin/python3
"""An independent Matrix homeserver stand-in for the federation tests, built
on matrix.org's own python3-signedjson and python3-canonicaljson.

  federation_peer.py verify-keys <server_name> <file>
      checks a /_matrix/key/v2/server document: schema and self-signatures.
  federation_peer.py verify-notary <file> <server_name> <notary_name> <notary_keys_file>
      checks a notary answer: the server's document, signed by it and by the notary.
  federation_peer.py sign <seed> <key_id> <origin> <destination> <method> <uri> [<json body>]
      prints an X-Matrix Authorization header value.
  federation_peer.py serve <port> <server_name> <seed> <key_id> <name=host:port>...
      a homeserver answering /_matrix/key/v2/server, /v1/query/profile and
      /v1/get_missing_events; X-Matrix headers are verified with the origin's
      keys, fetched from the origin (addresses given). A test hands it the
      events it holds with PUT /_test/events {"pdus": [...]}; GET
      /_test/missing_calls counts the get_missing_events it answered. Runs
      until killed.
"""
import json
import sys
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nacl.signing
from canonicaljson import encode_canonical_json
from signedjson.key import decode_verify_key_bytes, encode_verify_key_base64
from signedjson.sign import SignatureVerifyException, sign_json, verify_signed_json
from unpaddedbase64 import decode_base64


def signing_key(seed, key_id):
    key = nacl.signing.SigningKey(decode_base64(seed))
    key.alg, key.version = key_id.split(":", 1)
    return key


def verify_keys(doc, server_name):
    for field in ("server_name", "verify_keys", "signatures", "valid_until_ts"):
        assert field in doc, f"missing {field}"
    assert doc["server_name"] == server_name, doc["server_name"]
    assert isinstance(doc["valid_until_ts"], int)
    assert doc["valid_until_ts"] > time.time() * 1000, "already expired"
    assert doc["verify_keys"], "no verify keys"
    for key_id, entry in doc["verify_keys"].items():
        verify_key = decode_verify_key_bytes(key_id, decode_base64(entry["key"]))
        verify_signed_json(doc, server_name, verify_key)
    for key_id, entry in doc.get("old_verify_keys", {}).items():
        assert isinstance(entry["expired_ts"], int) and entry["key"], key_id


def parse_x_matrix(header):
    scheme, _, params = header.partition(" ")
    assert scheme == "X-Matrix", scheme
    out = {}
    for part in params.split(","):
        name, _, value = part.strip().partition("=")
        out[name] = value.strip('"')
    return out


def key_document(server_name, key_id, key):
    """The signed /_matrix/key/v2/server answer of a server, valid for an hour."""
    doc = {
        "server_name": server_name,
        "valid_until_ts": int(time.time() * 1000) + 3600_000,
        "verify_keys": {key_id: {"key": encode_verify_key_base64(key.verify_key)}},
        "old_verify_keys": {},
    }
    return sign_json(doc, server_name, key)


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler answering canonical JSON."""

    def answer(self, status, body):
        data = encode_canonical_json(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Peer(JsonHandler):
    server_name = seed = key_id = None
    hosts = {}
    events = {}  # room id -> PDUs a test handed over
    missing_calls = 0

    def verified_origin(self, content=None):
        """The X-Matrix origin of this request, its signature checked with
        the origin's own keys; AssertionError and the like when it is bad."""
        auth = parse_x_matrix(self.headers["Authorization"])
        origin = auth["origin"]
        with urllib.request.urlopen(
                f"http://{self.hosts[origin]}/_matrix/key/v2/server", timeout=5) as r:
            keys = json.load(r)
        verify_keys(keys, origin)
        verify_key = decode_verify_key_bytes(
            auth["key"], decode_base64(keys["verify_keys"][auth["key"]]["key"]))
        request = {"method": self.command, "uri": self.path, "origin": origin,
                   "destination": auth["destination"],
                   "signatures": {origin: {auth["key"]: auth["sig"]}}}
        if content is not None:
            request["content"] = content
        assert auth["destination"] == self.server_name
        verify_signed_json(request, origin, verify_key)
        return origin

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def do_GET(self):
        if self.path == "/_matrix/key/v2/server":
            key = signing_key(self.seed, self.key_id)
            return self.answer(200, key_document(self.server_name, self.key_id, key))
        if self.path == "/_test/missing_calls":
            return self.answer(200, {"count": Peer.missing_calls})
        if self.path.startswith("/_matrix/federation/v1/query/profile"):
            try:
                origin = self.verified_origin()
            except (AssertionError, KeyError, SignatureVerifyException, TypeError) as e:
                return self.answer(401, {"errcode": "M_UNAUTHORIZED", "error": repr(e)})
            return self.answer(200, {"displayname": "verified " + origin})
        self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": "unknown"})

    def do_PUT(self):
        if self.path == "/_test/events":
            for pdu in self.body()["pdus"]:
                Peer.events.setdefault(pdu["room_id"], []).append(pdu)
            return self.answer(200, {})
        self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": "unknown"})

    def do_POST(self):
        prefix = "/_matrix/federation/v1/get_missing_events/"
        if not self.path.startswith(prefix):
            return self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": "unknown"})
        body = self.body()
        try:
            self.verified_origin(body)
        except (AssertionError, KeyError, SignatureVerifyException, TypeError) as e:
            return self.answer(401, {"errcode": "M_UNAUTHORIZED", "error": repr(e)})
        Peer.missing_calls += 1
        room_id = urllib.parse.unquote(self.path[len(prefix):])
        # What this server holds of the room, newer than min_depth and not
        # among what the asker has; the `limit` closest to latest_events.
        held = [e for e in Peer.events.get(room_id, [])
                if e["depth"] >= body.get("min_depth", 0)
                and e.get("event_id") not in body["earliest_events"]]
        held.sort(key=lambda e: e["depth"])
        self.answer(200, {"events": [{k: v for k, v in e.items() if k != "event_id"}
                                     for e in held[-body.get("limit", 10):]]})

    def log_message(self, *args):
        pass


def main(argv):
    cmd = argv[1]
    if cmd == "verify-keys":
        with open(argv[3]) as f:
            verify_keys(json.load(f), argv[2])
    elif cmd == "verify-notary":
        with open(argv[2]) as f:
            answer = json.load(f)
        with open(argv[5]) as f:
            notary_keys = json.load(f)
        verify_keys(notary_keys, argv[4])
        docs = [d for d in answer["server_keys"] if d["server_name"] == argv[3]]
        assert len(docs) == 1, answer
        verify_keys(docs[0], argv[3])
        for key_id, entry in notary_keys["verify_keys"].items():
            verify_signed_json(docs[0], argv[4],
                               decode_verify_key_bytes(key_id, decode_base64(entry["key"])))
    elif cmd == "sign":
        seed, key_id, origin, destination, method, uri = argv[2:8]
        request = {"method": method, "uri": uri, "origin": origin, "destination": destination}
        if len(argv) > 8:
            request["content"] = json.loads(argv[8])
        signed = sign_json(request, origin, signing_key(seed, key_id))
        sig = signed["signatures"][origin][key_id]
        print(f'X-Matrix origin="{origin}",destination="{destination}",key="{key_id}",sig="{sig}"')
    elif cmd == "serve":
        Peer.server_name, Peer.seed, Peer.key_id = argv[3], argv[4], argv[5]
        Peer.hosts = dict(a.split("=", 1) for a in argv[6:])
        ThreadingHTTPServer(("127.0.0.1", int(argv[2])), Peer).serve_forever()
    else:
        raise SystemExit(f"unknown command {cmd}")
    print("OK")


if __name__ == "__main__":
    main(sys.argv)
