"""Cross-signing over HTTP (issue 14), run by keys_test.py: real ed25519
keys (python3-olm's PkSigning), keys/device_signing/upload with its
user-interactive auth for a replacement, a forged signature refused, and
keys/signatures/upload merged into what keys/query answers another user.
Answers are validated against the spec's schemas."""
import json

import olm

from matrix_http import C, PASSWORD, ok

SIGNING = ("cross_signing.yaml", "/keys/device_signing/upload")
SIGNATURES = ("cross_signing.yaml", "/keys/signatures/upload")
UPLOAD = ("keys.yaml", "/keys/upload")
QUERY = ("keys.yaml", "/keys/query")


def canonical(obj):
    signed = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Key:
    def __init__(self):
        self.signing = olm.PkSigning(olm.PkSigning.generate_seed())
        self.pub = self.signing.public_key

    def sign(self, obj, user, name=None):
        """Adds signatures[user]["ed25519:<name or public key>"]; returns obj."""
        sig = self.signing.sign(canonical(obj))
        obj.setdefault("signatures", {}).setdefault(user, {})[f"ed25519:{name or self.pub}"] = sig
        return obj


def cross_key(user, usage, key):
    return {"user_id": user, "usage": [usage], "keys": {f"ed25519:{key.pub}": key.pub}}


def key_set(user):
    master, ssk, usk = Key(), Key(), Key()
    body = {"master_key": cross_key(user, "master", master),
            "self_signing_key": master.sign(cross_key(user, "self_signing", ssk), user),
            "user_signing_key": master.sign(cross_key(user, "user_signing", usk), user)}
    return master, ssk, body


def password_auth(user, session, password=PASSWORD):
    return {"type": "m.login.password", "session": session, "password": password,
            "identifier": {"type": "m.id.user", "user": user}}


def check(m, alice, bob, refused):
    user, dev, t = alice["user_id"], alice["device_id"], alice["token"]
    path = C + "/keys/device_signing/upload"
    device = Key()
    keys = device.sign({"user_id": user, "device_id": dev,
                        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                        "keys": {f"curve25519:{dev}": "curve", f"ed25519:{dev}": device.pub}},
                       user, dev)
    m.call(UPLOAD, "POST", C + "/keys/upload", {"device_keys": keys}, token=t)

    master, ssk, body = key_set(user)
    m.call(SIGNING, "POST", path, body, token=t)  # a first upload: no UIA
    m.call(SIGNING, "POST", path, body, token=t)  # the same keys: a retry, no UIA
    forged = dict(body, self_signing_key=Key().sign(cross_key(user, "self_signing", ssk), user,
                                                    master.pub))
    refused(m, "POST", path, forged, t, 400, "M_INVALID_SIGNATURE")
    refused(m, "POST", path, {"self_signing_key": body["master_key"]}, t, 400, "M_BAD_JSON")

    _, _, replacement = key_set(user)
    first = m.raw("POST", path, replacement, token=t)
    ok(first.status == 401 and {"stages": ["m.login.password"]} in first.body.get("flows", []),
       f"replacing the keys asks for the password: {first}")
    wrong = m.raw("POST", path, dict(replacement, auth=password_auth(user, first.body["session"],
                                                                     "wrong")), token=t)
    ok(wrong.status == 401 and wrong.body.get("errcode") == "M_FORBIDDEN",
       f"a wrong password: {wrong}")
    m.checked += 2

    # The device signed by the self-signing key, the master key by the device.
    ssk.sign(keys, user)
    signed_master = device.sign(cross_key(user, "master", master), user, dev)
    answer = m.call(SIGNATURES, "POST", C + "/keys/signatures/upload",
                    {user: {dev: keys, master.pub: signed_master}}, token=t).body
    ok(answer["failures"] == {}, f"signatures accepted: {answer}")
    bad = m.call(SIGNATURES, "POST", C + "/keys/signatures/upload",
                 {user: {"NOSUCHDEVICE": keys}}, token=t).body
    ok(bad["failures"][user]["NOSUCHDEVICE"]["errcode"] == "M_NOT_FOUND", f"unknown key: {bad}")

    seen = m.call(QUERY, "POST", C + "/keys/query", {"device_keys": {user: []}},
                  token=bob["token"]).body
    ok(seen["master_keys"][user]["signatures"][user][f"ed25519:{dev}"] ==
       signed_master["signatures"][user][f"ed25519:{dev}"], f"the master key's signature: {seen}")
    ok(seen["device_keys"][user][dev]["signatures"][user].get(f"ed25519:{ssk.pub}") ==
       keys["signatures"][user][f"ed25519:{ssk.pub}"], f"the device's cross-signature: {seen}")
    ok(seen["self_signing_keys"][user] == body["self_signing_key"], f"self-signing key: {seen}")
    ok(user not in seen.get("user_signing_keys", {}), f"the user-signing key is private: {seen}")
    own = m.call(QUERY, "POST", C + "/keys/query", {"device_keys": {user: []}}, token=t).body
    ok(own["user_signing_keys"][user] == body["user_signing_key"], f"own user-signing key: {own}")

    done = m.raw("POST", path, dict(replacement, auth=password_auth(user, first.body["session"])),
                 token=t)
    ok(done.status == 200, f"replaced with the password: {done}")
    seen = m.call(QUERY, "POST", C + "/keys/query", {"device_keys": {user: []}},
                  token=bob["token"]).body
    ok(seen["master_keys"][user]["keys"] == replacement["master_key"]["keys"],
       f"the new master key: {seen}")
    m.checked += 2
