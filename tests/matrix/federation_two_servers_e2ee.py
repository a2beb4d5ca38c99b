"""End-to-end encryption across the two servers (issue 16, fede2ee), a step
of federation_two_servers_test.py's join phase (alice@hs1 and bob@hs2 share
a room): bob's key upload on hs2 shows in alice's /v3/sync
device_lists.changed on hs1 (an m.device_list_update EDU); alice's keys/query
and keys/claim on hs1 ask hs2 (bob's signed device keys, his one-time key
once, then his fallback key; an unreachable server goes in failures); her
sendToDevice to bob's device (sent twice under one txnId) arrives in bob's
/v3/sync to_device on hs2 exactly once (an m.direct_to_device EDU); bob's
cross-signing keys uploaded on hs2 put him in alice's device_lists.changed
again (an m.signing_key_update EDU) and her keys/query answers them.
"""
import time

from signedjson.sign import verify_signed_json

from cross_signing_checks import SIGNING, key_set
from federation_e2ee_checks import ALGORITHM, upload_keys
from matrix_http import C, ok, until

SYNC = ("sync.yaml", "/sync")
QUERY = ("keys.yaml", "/keys/query")
CLAIM = ("keys.yaml", "/keys/claim")
TO_DEVICE = ("to_device.yaml", "/sendToDevice/{eventType}/{txnId}")


def _sync(m, who, since, timeout_ms=1000):
    query = {"timeout": str(timeout_ms)}
    if since:
        query["since"] = since
    return m.call(SYNC, "GET", C + "/sync", token=who["token"], query=query).body


def e2ee(hs1, hs2, alice, bob):
    since = _sync(hs1, alice, None, 0)["next_batch"]
    bob_since = _sync(hs2, bob, None, 0)["next_batch"]
    t0 = time.monotonic()
    verify = upload_keys(hs2, bob)
    device = bob["device_id"]

    # The upload reaches hs1 as an m.device_list_update.
    state = {"since": since}

    def changed():
        body = _sync(hs1, alice, state["since"])
        state["since"] = body["next_batch"]
        return bob["user_id"] in body.get("device_lists", {}).get("changed", [])
    until("bob in alice's device_lists.changed on hs1", changed, 30)
    print(f"hs2 key upload -> hs1 device_lists.changed: {(time.monotonic() - t0) * 1000:.0f} ms")

    # keys/query on hs1 asks hs2; an unreachable server is a failure only.
    nobody = "@nobody:unreachable.test"
    got = hs1.call(QUERY, "POST", C + "/keys/query",
                   {"device_keys": {bob["user_id"]: [], nobody: []}}, token=alice["token"]).body
    keys = got["device_keys"].get(bob["user_id"], {}).get(device)
    ok(keys is not None, f"bob's device from hs2: {got}")
    verify_signed_json(keys, bob["user_id"], verify)
    ok("unreachable.test" in got["failures"], f"the unreachable server in failures: {got}")

    # keys/claim on hs1 claims on hs2: the one-time key once, then the fallback.
    claim = {"one_time_keys": {bob["user_id"]: {device: ALGORITHM}}}
    first = hs1.call(CLAIM, "POST", C + "/keys/claim", claim, token=alice["token"]).body
    ok(list(first["one_time_keys"].get(bob["user_id"], {}).get(device, {}))
       == [f"{ALGORITHM}:AAAA"], f"bob's one-time key: {first}")
    second = hs1.call(CLAIM, "POST", C + "/keys/claim", claim, token=alice["token"]).body
    ok(list(second["one_time_keys"].get(bob["user_id"], {}).get(device, {}))
       == [f"{ALGORITHM}:FFFF"], f"then his fallback key: {second}")

    # sendToDevice across: twice under one txnId, delivered once.
    content = {"messages": {bob["user_id"]: {device: {"secret": "for bob", "n": 1}}}}
    for _ in range(2):
        hs1.call(TO_DEVICE, "PUT", f"{C}/sendToDevice/m.test.fede2ee/txn1", content,
                 token=alice["token"])
    t0 = time.monotonic()
    seen = []
    bob_state = {"since": bob_since}

    def arrived():
        body = _sync(hs2, bob, bob_state["since"])
        bob_state["since"] = body["next_batch"]
        seen.extend(e for e in body.get("to_device", {}).get("events", [])
                    if e["type"] == "m.test.fede2ee")
        return seen
    until("alice's to-device message in bob's sync on hs2", arrived, 30)
    print(f"hs1 sendToDevice -> hs2 /sync to_device: {(time.monotonic() - t0) * 1000:.0f} ms")
    # A retry of the same txnId, and the EDU resent, add nothing.
    hs1.call(TO_DEVICE, "PUT", f"{C}/sendToDevice/m.test.fede2ee/txn1", content,
             token=alice["token"])
    for _ in range(3):
        arrived()
    ok(len(seen) == 1, f"exactly once: {seen}")
    ok(seen[0]["sender"] == alice["user_id"] and seen[0]["content"] == {"secret": "for bob", "n": 1},
       f"the message as sent: {seen[0]}")
    cross_signing(hs1, hs2, alice, bob, state)


def cross_signing(hs1, hs2, alice, bob, state):
    """bob's cross-signing keys uploaded on hs2 reach alice on hs1: an
    m.signing_key_update puts bob in her device_lists.changed, and her
    keys/query (asked of hs2) answers his master and self-signing keys."""
    state["since"] = _sync(hs1, alice, state["since"], 0)["next_batch"]
    master, _, body = key_set(bob["user_id"])
    hs2.call(SIGNING, "POST", C + "/keys/device_signing/upload", body, token=bob["token"])

    def changed():
        got = _sync(hs1, alice, state["since"])
        state["since"] = got["next_batch"]
        return bob["user_id"] in got.get("device_lists", {}).get("changed", [])
    until("bob's cross-signing keys in alice's device_lists.changed on hs1", changed, 30)
    got = hs1.call(QUERY, "POST", C + "/keys/query", {"device_keys": {bob["user_id"]: []}},
                   token=alice["token"]).body
    ok(got.get("master_keys", {}).get(bob["user_id"], {}).get("keys")
       == {f"ed25519:{master.pub}": master.pub}, f"bob's master key through hs1: {got}")
    ok(bob["user_id"] in got.get("self_signing_keys", {}), f"bob's self-signing key: {got}")
