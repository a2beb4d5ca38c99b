"""Federation rooms against a running messenger, as another homeserver: a
remote user joins a local public room (make_join, send_join v2), the reading
routes (event, state, state_ids, backfill, get_missing_events) answer the
joined server and refuse one without members, and PUT /send delivers PDUs
(accepted, redacted on a content hash mismatch, rejected by the auth rules,
refused for an unknown room or unknown prev_events, a forged signature),
idempotently per txnId; an event forked from an older one is accepted and
merged, or refused when it fails the current state (federation_fork_checks.py); an m.receipt EDU moves the remote user's read marker
(shown in local /v3/sync); the remote user leaves (make_leave, send_leave
v2); the peer invites a local user into a room of its own (PUT /v2/invite,
federation_invite_checks.py); a join and a leave taken through send_join and
send_leave reach the room's other servers (federation_forward_checks.py).
Every PDU is built, hashed and signed here with
matrix.org's signedjson/canonicaljson (an independent implementation), and
every answer is validated against the spec's server-server schemas.

    /usr/bin/python3 federation_rooms_test.py --base http://127.0.0.1:8080 \\
        --server hs2.test --peer hs3.test:<seed>:ed25519:py \\
        --outsider hs1.test:<seed>:ed25519:fromfile

Exit status 0 when every check passes.
"""
import argparse
import copy
import hashlib
import json
import os
import sys
import time
import urllib.parse
import urllib.request
import uuid

from canonicaljson import encode_canonical_json
from signedjson.sign import sign_json
from unpaddedbase64 import encode_base64

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from federation_peer import signing_key  # noqa: E402
from federation_fork_checks import forks  # noqa: E402
from federation_forward_checks import forwarding  # noqa: E402
from federation_invite_checks import invites  # noqa: E402
from matrix_http import C, MatrixHttp, account, ok, until  # noqa: E402
from validate_response import DEFAULT_SPEC_DIR  # noqa: E402

F = "/_matrix/federation"

# Room version 10 redaction: what survives, top level and per event type.
KEEP_TOP = {"event_id", "type", "room_id", "sender", "state_key", "content", "hashes",
            "signatures", "depth", "prev_events", "prev_state", "auth_events", "origin",
            "origin_server_ts", "membership"}
KEEP_CONTENT = {
    "m.room.member": {"membership", "join_authorised_via_users_server"},
    "m.room.create": {"creator"},
    "m.room.join_rules": {"join_rule", "allow"},
    "m.room.power_levels": {"ban", "events", "events_default", "kick", "redact",
                            "state_default", "users", "users_default"},
    "m.room.history_visibility": {"history_visibility"},
}


def redact(event):
    out = {k: v for k, v in event.items() if k in KEEP_TOP}
    keep = KEEP_CONTENT.get(event["type"], set())
    out["content"] = {k: v for k, v in event.get("content", {}).items() if k in keep}
    return out


def event_id_of(pdu):
    """The room version 10 event id: the reference hash, url-safe base64."""
    reference = redact(pdu)
    reference.pop("signatures", None)
    reference.pop("unsigned", None)
    digest = hashlib.sha256(encode_canonical_json(reference)).digest()
    return "$" + encode_base64(digest, urlsafe=True)


class Server:
    """A homeserver identity: signs requests and events."""

    def __init__(self, spec):
        self.name, seed, self.key_id = spec.split(":", 2)
        self.key = signing_key(seed, self.key_id)

    def auth_header(self, destination, method, uri, body=None):
        request = {"method": method, "uri": uri, "origin": self.name,
                   "destination": destination}
        if body is not None:
            request["content"] = body
        sig = sign_json(request, self.name, self.key)["signatures"][self.name][self.key_id]
        return (f'X-Matrix origin="{self.name}",destination="{destination}",'
                f'key="{self.key_id}",sig="{sig}"')

    def finish_pdu(self, event, tamper=None):
        """Adds the content hash and the signature; returns (event id, pdu).
        `tamper` changes the content after hashing (the signature still holds,
        as it covers the redacted event)."""
        event = copy.deepcopy(event)
        for k in ("hashes", "signatures", "unsigned", "event_id"):
            event.pop(k, None)
        digest = hashlib.sha256(encode_canonical_json(event)).digest()
        event["hashes"] = {"sha256": encode_base64(digest)}
        signed = sign_json(redact(event), self.name, self.key)
        event["signatures"] = signed["signatures"]
        if tamper:
            tamper(event)
        return event_id_of(event), event


class Federation:
    def __init__(self, http, destination):
        self.http = http
        self.destination = destination

    def call(self, who, method, path, body=None, query=None, expect=200, errcode=None, spec=None,
             raw_body=None):
        uri = path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
        headers = {}
        signed = body
        if raw_body is not None:
            try:  # JSON of the wrong shape is signed as sent: the shape is what fails
                signed = json.loads(raw_body)
            except ValueError:
                signed = None
        if who is not None:
            headers["Authorization"] = who.auth_header(self.destination, method, uri, signed)
        reply = self.http.raw(method, uri, raw_body if raw_body is not None else body,
                              headers=headers)
        ok(reply.status == expect, f"{method} {uri}: expected {expect}, got {reply}")
        ok(reply.status < 500, f"{method} {uri}: a 5xx: {reply}")
        if errcode is not None:
            ok((reply.body or {}).get("errcode") == errcode,
               f"{method} {uri}: expected {errcode}, got {reply}")
        if reply.status >= 400:
            ok(isinstance(reply.body.get("error"), str), f"an error body: {reply}")
        if spec is not None:
            self.http.spec.check(spec[0], spec[1], method, reply.status, reply.body)
            self.http.checked += 1
        return reply


def remote_user_uuid(user_id):
    """The UUID messaging gives a remote user: SHA-256 of its namespace, a
    NUL and the Matrix id, in the version 5 layout."""
    b = bytearray(hashlib.sha256(b"messenger.matrix.remote-user\0" + user_id.encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


def hand_over(address, pdus):
    """Gives the peer's stand-in events to answer get_missing_events with."""
    request = urllib.request.Request(f"http://{address}/_test/events", method="PUT",
                                     data=json.dumps({"pdus": pdus}).encode())
    with urllib.request.urlopen(request, timeout=10) as r:
        ok(r.status == 200, "events handed to the peer")


def peer_calls(address):
    with urllib.request.urlopen(f"http://{address}/_test/missing_calls", timeout=10) as r:
        return json.load(r)["count"]


def history(m, who, room_id):
    r = m.raw("GET", f"/v1/conversations/{urllib.parse.quote(room_id)}/messages",
              token=who["token"])
    ok(r.status == 200, f"history: {r}")
    return r.body["messages"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--outsider", required=True)
    parser.add_argument("--outsider-base",
                        help="the outsider's client API URL, when it is a real messenger")
    parser.add_argument("--peer-address", required=True,
                        help="host:port of the peer's stand-in (federation_peer.py serve)")
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    m.spec.api_dir = os.path.join(DEFAULT_SPEC_DIR, "api", "server-server")
    fed = Federation(m, args.server)
    peer, outsider = Server(args.peer), Server(args.outsider)
    pat, mallory = f"@pat:{peer.name}", f"@mallory:{peer.name}"
    tag = uuid.uuid4().hex[:8]

    alice = account(m, "fedalice" + tag)
    room = m.raw("POST", C + "/createRoom", {"preset": "public_chat", "name": "federated"},
                 token=alice["token"])
    ok(room.status == 200, f"createRoom: {room}")
    room_id = room.body["room_id"]
    private = m.raw("POST", C + "/createRoom", {"preset": "private_chat"}, token=alice["token"])
    ok(private.status == 200, f"createRoom: {private}")
    q = urllib.parse.quote
    MAKE = ("joins-v1.yaml", "/make_join/{roomId}/{userId}")
    SEND_JOIN = ("joins-v2.yaml", "/send_join/{roomId}/{eventId}")

    # make_join: refusals first, each a Matrix error and never a 5xx.
    make = f"{F}/v1/make_join/{q(room_id)}/{q(pat)}"
    fed.call(None, "GET", make, query={"ver": "10"}, expect=401, errcode="M_UNAUTHORIZED")
    fed.call(peer, "GET", make, expect=400)  # no ver: version 1 only
    fed.call(peer, "GET", f"{F}/v1/make_join/{q(room_id)}/{q('@zed:' + outsider.name)}",
             query={"ver": "10"}, expect=403, errcode="M_FORBIDDEN")
    fed.call(peer, "GET", f"{F}/v1/make_join/{q(room_id)}/{q('not a user')}",
             query={"ver": "10"}, expect=400)
    fed.call(peer, "GET", f"{F}/v1/make_join/{q('!nope:' + args.server)}/{q(pat)}",
             query={"ver": "10"}, expect=404, errcode="M_NOT_FOUND")
    fed.call(peer, "GET", f"{F}/v1/make_join/{q(private.body['room_id'])}/{q(pat)}",
             query={"ver": ["9", "10"]}, expect=403, errcode="M_FORBIDDEN")
    template = fed.call(peer, "GET", make, query={"ver": ["9", "10"]}, spec=MAKE).body
    ok(template["room_version"] == "10", f"room version: {template}")

    # send_join
    join_id, join = peer.finish_pdu(template["event"])
    fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q('$notthisone')}", join,
             expect=400)
    fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q(join_id)}", raw_body=b"{nope",
             expect=400)
    joined = fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q(join_id)}", join,
                      spec=SEND_JOIN).body
    types = sorted(e["type"] for e in joined["state"])
    ok("m.room.create" in types and "m.room.join_rules" in types, f"state: {types}")
    ok(joined["auth_chain"], "an auth chain")
    # A retry is answered the same way, nothing written twice.
    fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q(join_id)}", join, spec=SEND_JOIN)

    # Reading routes: the joined server may, a server with no member may not.
    EVENT = ("events.yaml", "/event/{eventId}")
    STATE = ("events.yaml", "/state/{roomId}")
    STATE_IDS = ("events.yaml", "/state_ids/{roomId}")
    BACKFILL = ("backfill.yaml", "/backfill/{roomId}")
    MISSING = ("backfill.yaml", "/get_missing_events/{roomId}")
    event = fed.call(peer, "GET", f"{F}/v1/event/{q(join_id)}", spec=EVENT).body
    ok(event["pdus"][0]["sender"] == pat, f"the join: {event}")
    state = fed.call(peer, "GET", f"{F}/v1/state/{q(room_id)}", query={"event_id": join_id},
                     spec=STATE).body
    ok(len(state["pdus"]) == len(joined["state"]), f"state: {state}")
    ids = fed.call(peer, "GET", f"{F}/v1/state_ids/{q(room_id)}", query={"event_id": join_id},
                   spec=STATE_IDS).body
    # The ids agree with the events, as an independent implementation hashes them.
    ok(sorted(ids["pdu_ids"]) == sorted(event_id_of(p) for p in state["pdus"]),
       f"state ids: {ids}")
    ok(sorted(ids["auth_chain_ids"]) == sorted(event_id_of(p) for p in state["auth_chain"]),
       f"auth chain ids: {ids}")
    by_key = {(p["type"], p.get("state_key")): event_id_of(p) for p in state["pdus"]}
    back = fed.call(peer, "GET", f"{F}/v1/backfill/{q(room_id)}",
                    query={"v": join_id, "limit": 3}, spec=BACKFILL).body
    ok(len(back["pdus"]) == 3 and back["pdus"][0]["sender"] == pat, f"backfill: {back}")
    create_event_id = by_key[("m.room.create", "")]
    missing = fed.call(peer, "POST", f"{F}/v1/get_missing_events/{q(room_id)}",
                       {"earliest_events": [create_event_id], "latest_events": [join_id],
                        "limit": 2}, spec=MISSING).body
    ok(len(missing["events"]) == 2, f"missing events: {missing}")
    depths = [e["depth"] for e in missing["events"]]
    ok(depths == sorted(depths), f"oldest first: {depths}")
    reading = [
        (f"{F}/v1/event/{q(join_id)}", None, None, "GET"),
        (f"{F}/v1/state/{q(room_id)}", {"event_id": join_id}, None, "GET"),
        (f"{F}/v1/state_ids/{q(room_id)}", {"event_id": join_id}, None, "GET"),
        (f"{F}/v1/backfill/{q(room_id)}", {"v": join_id, "limit": 3}, None, "GET"),
        (f"{F}/v1/get_missing_events/{q(room_id)}", None,
         {"earliest_events": [], "latest_events": [join_id]}, "POST")]
    for path, query, body, method in reading:
        fed.call(outsider, method, path, body, query=query, expect=403, errcode="M_FORBIDDEN")
        fed.call(None, method, path, body, query=query, expect=401, errcode="M_UNAUTHORIZED")
    # The room directory: an alias of this server names the room and the
    # servers in it (this one first, the peer's, whose user joined).
    DIRECTORY = ("query.yaml", "/query/directory")
    alias = f"#fed{tag}:{args.server}"
    put = m.raw("PUT", f"{C}/directory/room/{q(alias)}", {"room_id": room_id},
                token=alice["token"])
    ok(put.status == 200, f"the alias put: {put}")
    found = fed.call(peer, "GET", f"{F}/v1/query/directory", query={"room_alias": alias},
                     spec=DIRECTORY).body
    ok(found["room_id"] == room_id and found["servers"][0] == args.server and
       peer.name in found["servers"], f"the alias: {found}")
    fed.call(peer, "GET", f"{F}/v1/query/directory", query={"room_alias": f"#none{tag}:" +
             args.server}, expect=404, errcode="M_NOT_FOUND")
    # Never another server's alias, asked on.
    fed.call(peer, "GET", f"{F}/v1/query/directory", query={"room_alias": "#x:elsewhere.test"},
             expect=404, errcode="M_NOT_FOUND")
    fed.call(peer, "GET", f"{F}/v1/query/directory", expect=400)
    fed.call(None, "GET", f"{F}/v1/query/directory", query={"room_alias": alias}, expect=401,
             errcode="M_UNAUTHORIZED")
    # Bad input: 4xx with the Matrix error body.
    fed.call(peer, "GET", f"{F}/v1/event/{q('$' + 'A' * 43)}", expect=404, errcode="M_NOT_FOUND")
    fed.call(peer, "GET", f"{F}/v1/event/nodollar", expect=400)
    fed.call(peer, "GET", f"{F}/v1/state/{q(room_id)}", expect=400)
    fed.call(peer, "GET", f"{F}/v1/state/not-a-room", query={"event_id": join_id}, expect=400)
    fed.call(peer, "GET", f"{F}/v1/state/{q('!nope:' + args.server)}",
             query={"event_id": join_id}, expect=404)
    fed.call(peer, "GET", f"{F}/v1/backfill/{q(room_id)}", query={"limit": 3}, expect=400)
    fed.call(peer, "GET", f"{F}/v1/backfill/{q(room_id)}", query={"v": join_id, "limit": "x"},
             expect=400)
    for body in (b"not json", b"[]", b'{"earliest_events": 5, "latest_events": []}',
                 b'{"earliest_events": [], "latest_events": [], "limit": "ten"}'):
        fed.call(peer, "POST", f"{F}/v1/get_missing_events/{q(room_id)}", raw_body=body,
                 expect=400)

    # PUT /send: a message, then one whose content was changed after hashing.
    def message(sender, prev, body, server=peer, room=room_id, tamper=None, depth=100):
        return server.finish_pdu({
            "room_id": room, "sender": sender, "type": "m.room.message",
            "content": {"msgtype": "m.text", "body": body}, "prev_events": prev,
            "auth_events": auth_for(sender), "depth": depth,
            "origin_server_ts": int(time.time() * 1000)}, tamper)

    def auth_for(sender):
        wanted = {("m.room.create", ""), ("m.room.power_levels", ""),
                  ("m.room.member", sender)}
        return [event_id for key, event_id in by_key.items() if key in wanted] + (
            [join_id] if sender == pat else [])

    m1_id, m1 = message(pat, [join_id], "hello from " + peer.name)

    def tamper(e):
        e["content"]["body"] = "tampered"
    m2_id, m2 = message(pat, [m1_id], "original", tamper=tamper)
    TXN = ("transactions.yaml", "/send/{txnId}")

    def txn(pdus):
        return {"origin": peer.name, "origin_server_ts": int(time.time() * 1000),
                "pdus": pdus, "edus": [{"edu_type": "m.typing",
                                        "content": {"room_id": room_id, "user_id": pat,
                                                    "typing": True}}]}
    txn1 = "t1-" + tag
    since = m.raw("GET", "/v1/sync", token=alice["token"]).body["next"]
    first = fed.call(peer, "PUT", f"{F}/v1/send/{txn1}", txn([m1, m2]), spec=TXN).body
    ok(first == {"pdus": {m1_id: {}, m2_id: {}}}, f"accepted: {first}")
    seen = until("the remote message in alice's history",
                 lambda: [x for x in history(m, alice, room_id) if x["message_id"] == m1_id])
    ok(seen[0]["text"] == "hello from " + peer.name, f"history: {seen}")
    stored = fed.call(peer, "GET", f"{F}/v1/event/{q(m2_id)}", spec=EVENT).body["pdus"][0]
    ok(stored["content"] == {}, f"a hash mismatch is stored redacted: {stored}")
    # /v1 sync shows the local member the remote message and the typing EDU
    # (the remote user's id derived as docs/api-additions/federation.md says).
    pat_uuid = remote_user_uuid(pat)
    events = []

    def synced():
        nonlocal since
        sync = m.raw("GET", "/v1/sync", token=alice["token"],
                     query={"since": since, "timeout_ms": 2000})
        ok(sync.status == 200, f"/v1 sync: {sync}")
        since = sync.body["next"]
        events.extend(sync.body["events"])
        return (any(e.get("message", {}).get("message_id") == m1_id for e in events) and
                any(e["type"] == "typing" and pat_uuid in e["user_ids"] for e in events))
    until("the remote message and typing in /v1 sync", synced)
    ok(all(e.get("message", {}).get("sender_id") == pat_uuid for e in events
           if e.get("message", {}).get("message_id") == m1_id), f"sender: {events}")
    count = len(history(m, alice, room_id))
    # Replayed: the same answer, nothing written twice.
    again = fed.call(peer, "PUT", f"{F}/v1/send/{txn1}", txn([m1, m2]), spec=TXN).body
    ok(again == first, f"replayed: {again}")
    ok(len(history(m, alice, room_id)) == count, "nothing written twice")

    # Refused or rejected, each answered under its event id.
    forged_id, forged = message(pat, [m2_id], "forged", server=Server(
        f"{peer.name}:b3RoZXIgc2VlZCBub2JvZHkgcHVibGlzaGVkIHlldCE:{peer.key_id}"))
    mallory_id, by_mallory = message(mallory, [m2_id], "not joined")
    nowhere_id, nowhere = message(pat, [m2_id], "lost", room="!nope:" + args.server)
    unknown_prev_id, unknown_prev = message(pat, ["$" + "B" * 43], "gap")
    second = fed.call(peer, "PUT", f"{F}/v1/send/t2-{tag}",
                      txn([forged, by_mallory, nowhere, unknown_prev]), spec=TXN).body["pdus"]
    for event_id, what in ((forged_id, "signature"), (mallory_id, "not joined"),
                           (nowhere_id, "room"), (unknown_prev_id, "prev_events")):
        ok("error" in second.get(event_id, {}), f"{what}: {second}")
    ok("prev_events" in second[unknown_prev_id]["error"], f"a clear reason: {second}")
    fed.call(peer, "GET", f"{F}/v1/event/{q(mallory_id)}", expect=404)
    ok(len(history(m, alice, room_id)) == count, "nothing written for refused events")
    # The next good message still goes in after all that.
    m3_id, m3 = message(pat, [m2_id], "still here")
    third = fed.call(peer, "PUT", f"{F}/v1/send/t3-{tag}", txn([m3]), spec=TXN).body
    ok(third == {"pdus": {m3_id: {}}}, f"after refusals: {third}")

    # A gap: the peer sends an event after two this server never got. hs2
    # asks the peer for them with get_missing_events (signed, verified by
    # the stand-in) and applies all three in order.
    gap1_id, gap1 = message(pat, [m3_id], "gap one", depth=101)
    gap2_id, gap2 = message(pat, [gap1_id], "gap two", depth=102)
    after_id, after = message(pat, [gap2_id], "after the gap", depth=103)
    calls_before = peer_calls(args.peer_address)
    hand_over(args.peer_address, [dict(gap1, event_id=gap1_id), dict(gap2, event_id=gap2_id)])
    filled = fed.call(peer, "PUT", f"{F}/v1/send/t6-{tag}", txn([after]), spec=TXN).body
    ok(filled == {"pdus": {after_id: {}}}, f"after the gap: {filled}")
    ok(peer_calls(args.peer_address) == calls_before + 1, "one get_missing_events call")
    texts = [x["text"] for x in history(m, alice, room_id)]
    ok(texts[-3:] == ["gap one", "gap two", "after the gap"] or
       texts[:3] == ["after the gap", "gap two", "gap one"], f"in order: {texts}")

    # Bad /send input.
    send = f"{F}/v1/send/t4-{tag}"
    fed.call(None, "PUT", send, txn([]), expect=401, errcode="M_UNAUTHORIZED")
    fed.call(peer, "PUT", send, raw_body=b"{not json", expect=400)
    fed.call(peer, "PUT", send, {"origin": outsider.name, "origin_server_ts": 1, "pdus": []},
             expect=400)
    fed.call(peer, "PUT", send, {"origin": peer.name, "origin_server_ts": 1, "pdus": 7},
             expect=400)
    fed.call(peer, "PUT", send, txn([m3] * 51), expect=400)

    receipts(m, fed, peer, alice, room_id, pat, m3_id, tag)
    forks(m, fed, peer, alice, room_id, message, history, tag)
    # Server ACLs: alice denies the peer's server. Its PDUs are refused one
    # by one (nothing stored), the protected routes answer 403 M_FORBIDDEN,
    # and a server the ACL still allows is served as before.
    acl = m.raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.server_acl/",
                {"allow": ["*"], "deny": [peer.name.split(":")[0]], "allow_ip_literals": False},
                token=alice["token"])
    ok(acl.status == 200, f"the ACL: {acl}")
    m4_id, m4 = message(pat, [m3_id], "after the ACL")
    denied = fed.call(peer, "PUT", f"{F}/v1/send/t5-{tag}", txn([m4]), spec=TXN).body["pdus"]
    ok("ACL" in denied.get(m4_id, {}).get("error", ""), f"a PDU of a denied server: {denied}")
    fed.call(peer, "GET", f"{F}/v1/event/{q(m4_id)}", expect=404)  # never stored
    ok(not [x for x in history(m, alice, room_id) if x["message_id"] == m4_id],
       "nothing written for a denied server")
    for path, query, body, method in reading + [
            (f"{F}/v1/make_join/{q(room_id)}/{q(mallory)}", {"ver": "10"}, None, "GET")]:
        fed.call(peer, method, path, body, query=query, expect=403, errcode="M_FORBIDDEN")
    fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q(join_id)}", join, expect=403,
             errcode="M_FORBIDDEN")
    zed = f"@zed:{outsider.name}"
    fed.call(outsider, "GET", f"{F}/v1/make_join/{q(room_id)}/{q(zed)}", query={"ver": "10"},
             spec=MAKE)
    # Lifted: the peer is served again (and may leave, below).
    lifted = m.raw("PUT", f"{C}/rooms/{q(room_id)}/state/m.room.server_acl/",
                   {"allow": ["*"]}, token=alice["token"])
    ok(lifted.status == 200, f"the ACL lifted: {lifted}")
    fed.call(peer, "GET", f"{F}/v1/state_ids/{q(room_id)}", query={"event_id": join_id},
             spec=STATE_IDS)
    leave(m, fed, peer, outsider, alice, room_id, pat, mallory, args.server)
    invites(m, fed, peer, outsider, args.server, redact, Server(
        f"{peer.name}:b3RoZXIgc2VlZCBub2JvZHkgcHVibGlzaGVkIHlldCE:{peer.key_id}"))
    if args.outsider_base:
        forwarding(m, fed, peer, alice, args.outsider_base, args.server, tag)
    print(f"OK ({m.checked} answers validated against the spec)")


def receipts(m, fed, peer, alice, room_id, pat, event_id, tag):
    """An m.receipt EDU: pat's m.read shows in alice's /v3/sync ephemeral;
    a receipt the peer sends for another server's user, or of a shape that
    does not fit, is dropped without failing the transaction."""
    def edu(content):
        return {"edu_type": "m.receipt", "content": content}
    read = {"data": {"ts": int(time.time() * 1000)}, "event_ids": [event_id]}
    body = {"origin": peer.name, "origin_server_ts": int(time.time() * 1000), "pdus": [],
            "edus": [edu({room_id: {"m.read": {"@zed:elsewhere.test": read}}}),
                     edu({room_id: {"m.read": {pat: {"event_ids": "nope"}}}}),
                     edu({room_id: "nope"}), edu([]),
                     edu({"!nope:nowhere.test": {"m.read": {pat: read}}}),
                     edu({room_id: {"m.read": {pat: read}}})]}
    fed.call(peer, "PUT", f"{F}/v1/send/r1-{tag}", body,
             spec=("transactions.yaml", "/send/{txnId}"))

    def receipt_users():
        sync = m.raw("GET", C + "/sync", token=alice["token"])
        ok(sync.status == 200, f"/v3/sync: {sync}")
        room = sync.body.get("rooms", {}).get("join", {}).get(room_id, {})
        users = {}
        for e in room.get("ephemeral", {}).get("events", []):
            if e["type"] == "m.receipt":
                for eid, types in e["content"].items():
                    for user_id in types.get("m.read", {}):
                        users[user_id] = eid
        return users
    users = until("pat's receipt in alice's /v3/sync",
                  lambda: (lambda u: u if pat in u else None)(receipt_users()))
    ok(users[pat] == event_id, f"pat read up to {event_id}: {users}")
    ok("@zed:elsewhere.test" not in users, f"another server's user: {users}")


def leave(m, fed, peer, outsider, alice, room_id, pat, mallory, server):
    """make_leave/send_leave: refusals are 4xx, then pat leaves the room."""
    q = urllib.parse.quote
    MAKE_LEAVE = ("leaving-v1.yaml", "/make_leave/{roomId}/{userId}")
    SEND_LEAVE = ("leaving-v2.yaml", "/send_leave/{roomId}/{eventId}")
    make = f"{F}/v1/make_leave/{q(room_id)}/{q(pat)}"
    fed.call(None, "GET", make, expect=401, errcode="M_UNAUTHORIZED")
    fed.call(peer, "GET", f"{F}/v1/make_leave/{q(room_id)}/{q('@zed:' + outsider.name)}",
             expect=403, errcode="M_FORBIDDEN")
    fed.call(peer, "GET", f"{F}/v1/make_leave/{q(room_id)}/{q('not a user')}", expect=400)
    fed.call(peer, "GET", f"{F}/v1/make_leave/{q('!nope:' + server)}/{q(pat)}", expect=404,
             errcode="M_NOT_FOUND")
    fed.call(peer, "GET", f"{F}/v1/make_leave/{q(room_id)}/{q(mallory)}", expect=403,
             errcode="M_FORBIDDEN")  # never joined
    template = fed.call(peer, "GET", make, spec=MAKE_LEAVE).body
    ok(template["event"]["content"] == {"membership": "leave"}, f"template: {template}")
    leave_id, leave_pdu = peer.finish_pdu(template["event"])
    send = f"{F}/v2/send_leave/{q(room_id)}/{q(leave_id)}"
    fed.call(None, "PUT", send, leave_pdu, expect=401, errcode="M_UNAUTHORIZED")
    fed.call(outsider, "PUT", send, leave_pdu, expect=403, errcode="M_FORBIDDEN")
    fed.call(peer, "PUT", f"{F}/v2/send_leave/{q(room_id)}/{q('$notthisone')}", leave_pdu,
             expect=400)
    fed.call(peer, "PUT", send, raw_body=b"{nope", expect=400)
    joining = dict(template["event"], content={"membership": "join"})
    join_id, join_pdu = peer.finish_pdu(joining)
    fed.call(peer, "PUT", f"{F}/v2/send_leave/{q(room_id)}/{q(join_id)}", join_pdu, expect=400)
    forged_id, forged = Server(
        f"{peer.name}:b3RoZXIgc2VlZCBub2JvZHkgcHVibGlzaGVkIHlldCE:{peer.key_id}").finish_pdu(
        template["event"])
    fed.call(peer, "PUT", f"{F}/v2/send_leave/{q(room_id)}/{q(forged_id)}", forged,
             expect=403, errcode="M_FORBIDDEN")  # the event's signature, not the request's
    answer = fed.call(peer, "PUT", send, leave_pdu, spec=SEND_LEAVE).body
    ok(answer == {}, f"send_leave answers an empty object: {answer}")
    # A retry is answered the same way, nothing written twice.
    fed.call(peer, "PUT", send, leave_pdu, spec=SEND_LEAVE)
    members = m.raw("GET", f"{C}/rooms/{q(room_id)}/joined_members", token=alice["token"])
    ok(pat not in members.body["joined"], f"pat left: {members}")
    # Left: a second leave has nothing to leave.
    fed.call(peer, "GET", make, expect=403, errcode="M_FORBIDDEN")


if __name__ == "__main__":
    main()
