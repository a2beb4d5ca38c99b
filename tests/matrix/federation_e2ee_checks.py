"""The end-to-end encryption routes of the server-server API against a
running messenger (issue 16, fede2ee), as another homeserver: POST
/v1/user/keys/query, POST /v1/user/keys/claim and GET /v1/user/devices/{userId}
answer the keys a local user uploaded (device keys signed here with
matrix.org's signedjson, verified again in the answers), a one-time key is
claimed once and then the fallback key, requests are X-Matrix signed (an
unsigned one is 401) and bad bodies are 4xx with the spec's errcodes, never a
5xx. Every answer is validated against the spec's server-server schemas.

    /usr/bin/python3 federation_e2ee_checks.py --base http://127.0.0.1:8080 \\
        --server hs2.test --peer hs3.test:<seed>:ed25519:py

Exit status 0 when every check passes.
"""
import argparse
import os
import sys
import urllib.parse
import uuid

from signedjson.key import generate_signing_key, get_verify_key
from signedjson.sign import sign_json, verify_signed_json

from federation_rooms_test import F, Federation, Server
from matrix_http import C, MatrixHttp, account, ok, until
from validate_response import DEFAULT_SPEC_DIR

QUERY = ("user_keys.yaml", "/user/keys/query")
CLAIM = ("user_keys.yaml", "/user/keys/claim")
DEVICES = ("user_devices.yaml", "/user/devices/{userId}")
ALGORITHM = "signed_curve25519"


def upload_keys(m, who):
    """Uploads signed device keys, one one-time key and a fallback key for
    `who`'s device; returns the device's verify key."""
    me = m.raw("GET", C + "/account/whoami", token=who["token"])
    ok(me.status == 200, f"whoami: {me}")
    device = who["device_id"] = me.body["device_id"]
    key = generate_signing_key(device)
    public = get_verify_key(key)
    device_keys = sign_json({
        "user_id": who["user_id"], "device_id": device,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"curve25519:{device}": "curve" + device,
                 f"ed25519:{device}": "ed" + device}}, who["user_id"], key)
    otk = sign_json({"key": "onetime"}, who["user_id"], key)
    fallback = sign_json({"key": "fallback", "fallback": True}, who["user_id"], key)
    up = m.raw("POST", C + "/keys/upload",
               {"device_keys": device_keys, "one_time_keys": {f"{ALGORITHM}:AAAA": otk},
                "fallback_keys": {f"{ALGORITHM}:FFFF": fallback}}, token=who["token"])
    ok(up.status == 200, f"keys/upload: {up}")
    ok(up.body["one_time_key_counts"].get(ALGORITHM) == 1, f"one key stored: {up}")
    return public


def e2ee_keys(m, fed, peer, server):
    tag = uuid.uuid4().hex[:8]
    alice = account(m, "fedkeys" + tag)
    verify = upload_keys(m, alice)
    user, device = alice["user_id"], alice["device_id"]
    nobody = f"@nobody{tag}:{server}"
    remote = f"@someone:{peer.name}"

    # Unsigned: refused before anything is read.
    for path, body in ((f"{F}/v1/user/keys/query", {"device_keys": {user: []}}),
                       (f"{F}/v1/user/keys/claim", {"one_time_keys": {user: {device: ALGORITHM}}})):
        fed.call(None, "POST", path, body, expect=401, errcode="M_UNAUTHORIZED")
    fed.call(None, "GET", f"{F}/v1/user/devices/{urllib.parse.quote(user)}", expect=401,
             errcode="M_UNAUTHORIZED")

    # keys/query: the device keys as uploaded, the uploader's signature intact;
    # an unknown local user and a user of another server have none.
    # (messaging learns of a new account from user.created, asynchronously.)
    def queried():
        body = fed.call(peer, "POST", f"{F}/v1/user/keys/query",
                        {"device_keys": {user: [], nobody: [], remote: []}}, spec=QUERY).body
        return body if body["device_keys"].get(user) else None
    got = until("alice's keys over federation", queried)
    keys = got["device_keys"][user][device]
    verify_signed_json(keys, user, verify)  # raises when not what alice signed
    ok(keys["user_id"] == user and keys["device_id"] == device, f"alice's device: {keys}")
    ok(not got["device_keys"].get(nobody) and not got["device_keys"].get(remote),
       f"nothing for unknown users: {got}")
    named = fed.call(peer, "POST", f"{F}/v1/user/keys/query",
                     {"device_keys": {user: ["NOSUCHDEVICE"]}}, spec=QUERY).body
    ok(not named["device_keys"].get(user), f"only the devices named: {named}")

    # user/devices: the same keys, a stream id; a user of another server is
    # refused, an unknown local one has no devices.
    listed = fed.call(peer, "GET", f"{F}/v1/user/devices/{urllib.parse.quote(user)}",
                      spec=DEVICES).body
    ok(listed["user_id"] == user and isinstance(listed["stream_id"], int), f"devices: {listed}")
    ok([d["device_id"] for d in listed["devices"]] == [device], f"alice's device: {listed}")
    verify_signed_json(listed["devices"][0]["keys"], user, verify)
    empty = fed.call(peer, "GET", f"{F}/v1/user/devices/{urllib.parse.quote(nobody)}",
                     spec=DEVICES).body
    ok(empty["devices"] == [], f"an unknown user has no devices: {empty}")
    fed.call(peer, "GET", f"{F}/v1/user/devices/{urllib.parse.quote(remote)}", expect=400,
             errcode="M_INVALID_PARAM")

    # keys/claim: the one-time key once, then the fallback key; each verifies.
    claim = {"one_time_keys": {user: {device: ALGORITHM}, nobody: {"X": ALGORITHM}}}
    first = fed.call(peer, "POST", f"{F}/v1/user/keys/claim", claim, spec=CLAIM).body
    ok(list(first["one_time_keys"].get(user, {}).get(device, {})) == [f"{ALGORITHM}:AAAA"],
       f"the one-time key: {first}")
    verify_signed_json(first["one_time_keys"][user][device][f"{ALGORITHM}:AAAA"], user, verify)
    ok(nobody not in first["one_time_keys"], f"nothing for an unknown user: {first}")
    second = fed.call(peer, "POST", f"{F}/v1/user/keys/claim", claim, spec=CLAIM).body
    ok(list(second["one_time_keys"].get(user, {}).get(device, {})) == [f"{ALGORITHM}:FFFF"],
       f"the one-time key is not given twice, the fallback key is: {second}")
    left = m.raw("POST", C + "/keys/upload", {}, token=alice["token"])
    ok(left.body["one_time_key_counts"].get(ALGORITHM, 0) == 0, f"the key is gone: {left}")

    # Bad bodies: 4xx with the spec's errcodes, never a 5xx.
    for path in (f"{F}/v1/user/keys/query", f"{F}/v1/user/keys/claim"):
        fed.call(peer, "POST", path, raw_body=b"{nope", expect=400)
        fed.call(peer, "POST", path, {}, expect=400, errcode="M_BAD_JSON")
        fed.call(peer, "POST", path, {"device_keys": 5, "one_time_keys": 5}, expect=400,
                 errcode="M_BAD_JSON")
    fed.call(peer, "POST", f"{F}/v1/user/keys/query", {"device_keys": {user: [5]}}, expect=400,
             errcode="M_BAD_JSON")
    fed.call(peer, "POST", f"{F}/v1/user/keys/claim", {"one_time_keys": {user: {device: 5}}},
             expect=400, errcode="M_BAD_JSON")
    # Bounded: a request naming more than 1000 devices is refused whole.
    many = {f"@u{i}:{server}": [] for i in range(1001)}
    fed.call(peer, "POST", f"{F}/v1/user/keys/query", {"device_keys": many}, expect=413,
             errcode="M_TOO_LARGE")
    many_claims = {user: {f"D{i}": ALGORITHM for i in range(1001)}}
    fed.call(peer, "POST", f"{F}/v1/user/keys/claim", {"one_time_keys": many_claims},
             expect=413, errcode="M_TOO_LARGE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--peer", required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    m.spec.api_dir = os.path.join(DEFAULT_SPEC_DIR, "api", "server-server")
    e2ee_keys(m, Federation(m, args.server), Server(args.peer), args.server)
    print(f"OK ({m.checked} answers validated against the spec)")


if __name__ == "__main__":
    sys.exit(main())
