"""The end-to-end encryption relay against a running messenger: keys/upload,
keys/query, keys/claim, keys/changes, sendToDevice and cross-signing
(cross_signing_checks.py) over HTTP, their
limits and refusals, and matrix-nio (with python3-olm) uploading its real
device and one-time keys, querying another device's keys (nio checks their
signatures) and claiming a one-time key to open an Olm session. Every
answer is validated against the spec's response schemas (errors against the
standard error schema).

    /usr/bin/python3 keys_test.py --base http://127.0.0.1:8080 --inbox 5

Exit status 0 when every check passes.
"""
import argparse
import asyncio
import os
import sys
import tempfile

import jsonschema
import yaml

import cross_signing_checks
from matrix_http import C, PASSWORD, MatrixHttp, account, befriend, ok, until

UPLOAD = ("keys.yaml", "/keys/upload")
QUERY = ("keys.yaml", "/keys/query")
CLAIM = ("keys.yaml", "/keys/claim")
CHANGES = ("keys.yaml", "/keys/changes")
TO_DEVICE = ("to_device.yaml", "/sendToDevice/{eventType}/{txnId}")


def error_schema(m):
    path = os.path.join(m.spec.api_dir, "definitions", "errors", "error.yaml")
    with open(path) as f:
        return yaml.safe_load(f)


def refused(m, method, path, body, token, expect, errcode):
    """A refusal: its status, errcode and the spec's error shape."""
    reply = m.call(None, method, path, body, token=token, expect=expect, errcode=errcode)
    jsonschema.validate(reply.body, error_schema(m))
    ok(isinstance(reply.body.get("error"), str) and reply.body["error"], f"a reason: {reply}")
    m.checked += 1
    return reply


def whoami(m, who):
    me = m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami",
                token=who["token"]).body
    who["device_id"] = me["device_id"]
    return who


def device_keys(who, curve="curve"):
    dev = who["device_id"]
    return {"user_id": who["user_id"], "device_id": dev,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {f"curve25519:{dev}": curve, f"ed25519:{dev}": "ed" + curve},
            "signatures": {who["user_id"]: {f"ed25519:{dev}": "sig"}}}


def one_time_keys(start, count):
    return {f"signed_curve25519:K{i:04d}": {"key": f"otk{i}",
                                            "signatures": {"@x:localhost": {"ed25519:X": "s"}}}
            for i in range(start, start + count)}


def refusals(m, alice, bob):
    t = alice["token"]
    for method, path in (("POST", "/keys/upload"), ("POST", "/keys/query"),
                         ("POST", "/keys/claim"), ("GET", "/keys/changes"),
                         ("PUT", "/sendToDevice/m.test/t1")):
        body = None if method == "GET" else {}
        refused(m, method, C + path, body, None, 401, "M_MISSING_TOKEN")
        refused(m, method, C + path, body, "not-a-token", 401, "M_UNKNOWN_TOKEN")
    for path in ("/keys/upload", "/keys/query", "/keys/claim"):
        refused(m, "POST", C + path, b"{not json", t, 400, "M_NOT_JSON")
    refused(m, "PUT", C + "/sendToDevice/m.test/t0", b"[1", t, 400, "M_NOT_JSON")
    # Wrong types.
    for body in ({"device_keys": "x"}, {"one_time_keys": []}, {"one_time_keys": {"nocolon": "k"}},
                 {"one_time_keys": {"a:b": 5}}, {"fallback_keys": 1},
                 {"device_keys": {"user_id": alice["user_id"]}}):
        refused(m, "POST", C + "/keys/upload", body, t, 400, "M_BAD_JSON")
    # Device keys of another user, or of another device, are not the caller's.
    refused(m, "POST", C + "/keys/upload", {"device_keys": device_keys(bob)}, t, 400,
            "M_BAD_JSON")
    other = dict(alice, device_id="NOTMINE")
    refused(m, "POST", C + "/keys/upload", {"device_keys": device_keys(other)}, t, 400,
            "M_BAD_JSON")
    for body in ({}, {"device_keys": []}, {"device_keys": {"@a:localhost": "DEV"}},
                 {"device_keys": {"@a:localhost": [1]}}):
        refused(m, "POST", C + "/keys/query", body, t, 400, "M_BAD_JSON")
    for body in ({}, {"one_time_keys": {"@a:localhost": {"DEV": 1}}}):
        refused(m, "POST", C + "/keys/claim", body, t, 400, "M_BAD_JSON")
    for body in ({}, {"messages": []}, {"messages": {"@a:localhost": {"DEV": "text"}}}):
        refused(m, "PUT", C + "/sendToDevice/m.test/bad", body, t, 400, "M_BAD_JSON")
    refused(m, "GET", C + "/keys/changes", None, t, 400, "M_MISSING_PARAM")
    m.call(None, "GET", C + "/keys/changes", token=t, query={"from": "x", "to": "1"}, expect=400,
           errcode="M_INVALID_PARAM")
    # Shaped like a sync token, yet not one this server gave out.
    m.call(None, "GET", C + "/keys/changes", token=t, query={"from": "m12.x.y", "to": "m1.0"},
           expect=400, errcode="M_INVALID_PARAM")
    # Bounds: one upload, one device's stock, one query.
    refused(m, "POST", C + "/keys/upload", {"one_time_keys": one_time_keys(0, 101)}, t, 413,
            "M_TOO_LARGE")
    huge = {"device_keys": {f"@u{i}:localhost": [] for i in range(1001)}}
    refused(m, "POST", C + "/keys/query", huge, t, 413, "M_TOO_LARGE")


def sync_token(m, who):
    """A next_batch token of `who` (what /keys/changes takes)."""
    return m.call(None, "GET", C + "/sync", token=who["token"], query={"timeout": "0"}).body[
        "next_batch"]


def keys(m, alice, bob, carol):
    t = alice["token"]
    bob_before, carol_before = sync_token(m, bob), sync_token(m, carol)
    first = m.call(UPLOAD, "POST", C + "/keys/upload",
                   {"device_keys": device_keys(alice), "one_time_keys": one_time_keys(0, 3),
                    "fallback_keys": {"signed_curve25519:F1": {"key": "fb", "fallback": True,
                                                              "signatures": {}}}},
                   token=t).body
    ok(first == {"one_time_key_counts": {"signed_curve25519": 3}}, f"counts: {first}")
    counts = m.call(UPLOAD, "POST", "/_matrix/client/r0/keys/upload",
                    {}, token=t).body
    ok(counts["one_time_key_counts"] == {"signed_curve25519": 3}, f"r0 upload: {counts}")

    asked = {"device_keys": {alice["user_id"]: [], "@nobody:localhost": []}}
    seen = m.call(QUERY, "POST", C + "/keys/query", asked, token=bob["token"]).body
    ok(seen["device_keys"][alice["user_id"]] == {alice["device_id"]: device_keys(alice)},
       f"bob (a room mate) sees alice's device keys as uploaded: {seen}")
    ok(seen["device_keys"]["@nobody:localhost"] == {}, f"unknown user: {seen}")
    hidden = m.call(QUERY, "POST", C + "/keys/query", asked, token=carol["token"]).body
    ok(hidden["device_keys"][alice["user_id"]] == {},
       f"carol shares no room with alice: no devices to her: {hidden}")

    claim = {"one_time_keys": {alice["user_id"]: {alice["device_id"]: "signed_curve25519"}}}
    taken = set()
    for _ in range(3):
        got = m.call(CLAIM, "POST", C + "/keys/claim", claim, token=bob["token"]).body
        key = got["one_time_keys"][alice["user_id"]][alice["device_id"]]
        ok(len(key) == 1, f"one key per device: {got}")
        taken |= set(key)
    ok(taken == {"signed_curve25519:K0000", "signed_curve25519:K0001",
                 "signed_curve25519:K0002"}, f"each one-time key once: {taken}")
    fallback = m.call(CLAIM, "POST", C + "/keys/claim", claim, token=bob["token"]).body
    ok(list(fallback["one_time_keys"][alice["user_id"]][alice["device_id"]]) ==
       ["signed_curve25519:F1"], f"then the fallback key: {fallback}")
    none = m.call(CLAIM, "POST", C + "/keys/claim", claim, token=carol["token"]).body
    ok(none["one_time_keys"] == {}, f"carol claims nothing: {none}")
    left = m.call(UPLOAD, "POST", C + "/keys/upload", {}, token=t).body
    ok(left["one_time_key_counts"] == {}, f"no one-time key left: {left}")

    # The device's stock is bounded (MESSENGER_E2EE_MAX_ONE_TIME_KEYS=150 here).
    m.call(UPLOAD, "POST", C + "/keys/upload", {"one_time_keys": one_time_keys(10, 100)}, token=t)
    refused(m, "POST", C + "/keys/upload", {"one_time_keys": one_time_keys(200, 60)}, t, 413,
            "M_TOO_LARGE")
    still = m.call(UPLOAD, "POST", C + "/keys/upload", {}, token=t).body
    ok(still["one_time_key_counts"] == {"signed_curve25519": 100}, f"refused wholly: {still}")

    changes = m.call(CHANGES, "GET", C + "/keys/changes", token=bob["token"],
                     query={"from": bob_before, "to": sync_token(m, bob)}).body
    ok(alice["user_id"] in changes["changed"] and changes["left"] == [], f"changes: {changes}")
    stranger = m.call(CHANGES, "GET", C + "/keys/changes", token=carol["token"],
                      query={"from": carol_before, "to": sync_token(m, carol)}).body
    ok(alice["user_id"] not in stranger["changed"], f"carol hears nothing: {stranger}")


def to_device(m, alice, bob, inbox):
    body = {"messages": {alice["user_id"]: {"*": {"hello": "all devices"}}}}
    path = C + "/sendToDevice/m.test/txn-1"
    m.call(TO_DEVICE, "PUT", path, body, token=bob["token"])
    m.call(TO_DEVICE, "PUT", path, body, token=bob["token"])  # a retry: answered, not resent
    # Messages to unknown users or devices go nowhere, without an error.
    m.call(TO_DEVICE, "PUT", C + "/sendToDevice/m.test/txn-2",
           {"messages": {"@nobody:localhost": {"DEV": {}}, "@x:elsewhere.org": {"D": {}}}},
           token=bob["token"])
    # Alice's device holds one message (the retry added none); it fills at
    # `inbox` and then refuses with a retry hint.
    for i in range(inbox - 1):
        m.call(TO_DEVICE, "PUT", C + f"/sendToDevice/m.test/fill-{i}",
               {"messages": {alice["user_id"]: {alice["device_id"]: {"i": i}}}},
               token=bob["token"])
    full = m.raw("PUT", C + "/sendToDevice/m.test/one-too-many",
                 {"messages": {alice["user_id"]: {alice["device_id"]: {}}}}, token=bob["token"])
    ok(full.status == 429 and full.body["errcode"] == "M_LIMIT_EXCEEDED", f"inbox full: {full}")
    ok(full.body.get("retry_after_ms", 0) > 0 and "Retry-After" in full.headers,
       f"a retry hint: {full} {full.headers}")
    jsonschema.validate(full.body, error_schema(m))
    m.checked += 1


def revoke(m, alice, bob):
    """Deleting alice's device (UIA m.login.password) removes its keys."""
    path = f"{C}/devices/{alice['device_id']}"
    first = m.raw("DELETE", path, {}, token=alice["token"])
    ok(first.status == 401 and "session" in first.body, f"UIA flows: {first}")
    deleted = m.raw("DELETE", path,
                    {"auth": {"type": "m.login.password", "session": first.body["session"],
                              "identifier": {"type": "m.id.user", "user": alice["user_id"]},
                              "password": PASSWORD}}, token=alice["token"])
    ok(deleted.status == 200, f"device deleted: {deleted}")
    asked = {"device_keys": {alice["user_id"]: []}}

    def gone():
        seen = m.call(QUERY, "POST", C + "/keys/query", asked, token=bob["token"]).body
        return seen["device_keys"][alice["user_id"]] == {}
    until("alice's revoked device leaves the key store", gone)


async def nio_keys(base, m):
    """matrix-nio with an olm account: real keys, signatures checked by nio."""
    import nio
    from nio.api import Api

    with tempfile.TemporaryDirectory() as store:
        config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        one = nio.AsyncClient(base, "niokeys1", store_path=store, config=config)
        two = nio.AsyncClient(base, "niokeys2", store_path=store, config=config)
        try:
            for client, name in ((one, "niokeys1"), (two, "niokeys2")):
                registered = await client.register(name, PASSWORD, device_name=name)
                ok(isinstance(registered, nio.RegisterResponse), f"register: {registered}")
                uploaded = await client.keys_upload()
                ok(isinstance(uploaded, nio.KeysUploadResponse), f"keys_upload: {uploaded}")
                ok(uploaded.signed_curve25519_count > 0, f"one-time keys stored: {uploaded}")
            a = {"token": one.access_token, "user_id": one.user_id}
            b = {"token": two.access_token, "user_id": two.user_id}
            for who in (a, b):
                who["uuid"] = m.raw("GET", "/v1/me", token=who["token"]).body["user_id"]
            befriend(m, a, b)
            m.call(("create_room.yaml", "/createRoom"), "POST", C + "/createRoom",
                   {"is_direct": True, "invite": [b["user_id"]]}, token=a["token"])

            # nio's own query and claim requests, parsed (and, for device
            # keys, signature-checked) by nio.
            method, path, data = Api.keys_query(one.access_token, {two.user_id})
            queried = await one._send(nio.KeysQueryResponse, method, path, data)
            ok(isinstance(queried, nio.KeysQueryResponse), f"keys_query: {queried}")
            devices = one.device_store[two.user_id]
            ok(two.device_id in devices, f"nio verified and stored the device: {queried}")
            claimed = await one.keys_claim({two.user_id: [two.device_id]})
            ok(isinstance(claimed, nio.KeysClaimResponse), f"keys_claim: {claimed}")
            session = one.olm.session_store.get(devices[two.device_id].curve25519)
            ok(session is not None,
               f"nio verified the claimed key's signature and opened an Olm session: {claimed}")
        finally:
            await one.close()
            await two.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--inbox", type=int, required=True)
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    alice, bob, carol = (whoami(m, account(m, n)) for n in ("kyalice", "kybob", "kycarol"))
    befriend(m, alice, bob)
    m.call(("create_room.yaml", "/createRoom"), "POST", C + "/createRoom",
           {"is_direct": True, "invite": [bob["user_id"]]}, token=alice["token"])
    refusals(m, alice, bob)
    keys(m, alice, bob, carol)
    to_device(m, alice, bob, args.inbox)
    cross_signing_checks.check(m, alice, bob, refused)
    revoke(m, alice, bob)
    asyncio.run(nio_keys(args.base, m))
    print(f"keys_test: ok ({m.checked} answers validated against the spec)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
