"""Matrix client-server API foundation against a running messenger: discovery,
registration (UIA), login, refresh, logout, whoami, password, devices,
profile, and every refusal on the way, each answer validated against the
spec's response schema.

    /usr/bin/python3 client_api_test.py --base http://127.0.0.1:8080 --mode open
    --mode token --token T   registration with m.login.registration_token, soft logout
    --mode disabled          registration refused

Exit status 0 when every check passes.
"""
import argparse
import sys
import time

from matrix_http import C, PASSWORD, MatrixHttp, ok

R0 = "/_matrix/client/r0"


def until_refused(m, token, deadline_s=15):
    """Waits for a token revoked by session-service alone (the gateway hears of
    it through session.revoked, a moment later)."""
    deadline = time.monotonic() + deadline_s
    while True:
        reply = m.raw("GET", C + "/account/whoami", token=token)
        if reply.status == 401:
            ok(reply.body["errcode"] == "M_UNKNOWN_TOKEN", f"revoked token: {reply}")
            return
        ok(time.monotonic() < deadline, f"token still accepted after {deadline_s} s: {reply}")
        time.sleep(0.1)


def register(m, username, password=PASSWORD, **extra):
    """Registers through the m.login.dummy flow; returns the 200 body."""
    first = m.call(("registration.yaml", "/register"), "POST", C + "/register",
                   {"username": username, "password": password}, expect=401)
    ok({"stages": ["m.login.dummy"]} in first.body["flows"], f"dummy flow offered: {first}")
    body = {"username": username, "password": password,
            "auth": {"type": "m.login.dummy", "session": first.body["session"]}}
    body.update(extra)
    return m.call(("registration.yaml", "/register"), "POST", C + "/register", body).body


def login(m, user, password=PASSWORD, **extra):
    body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
            "password": password}
    body.update(extra)
    return m.call(("login.yaml", "/login"), "POST", C + "/login", body).body


def discovery(m, base):
    wk = m.call(("wellknown.yaml", "/matrix/client"), "GET", "/.well-known/matrix/client")
    ok(wk.body["m.homeserver"]["base_url"] == base, f"well-known base_url: {wk}")
    versions = m.call(("versions.yaml", "/versions"), "GET", "/_matrix/client/versions").body
    # The versions whose core endpoints are served (discovery_routes.cc).
    ok(versions == {"versions": ["v1.1", "v1.2", "v1.3"], "unstable_features": {}},
       f"versions: {versions}")
    m.call(None, "GET", C + "/no/such/endpoint", expect=404, errcode="M_UNRECOGNIZED")
    m.call(None, "GET", "/_matrix/media/v3/config", expect=404, errcode="M_UNRECOGNIZED")
    wrong = m.call(None, "DELETE", C + "/login", expect=405, errcode="M_UNRECOGNIZED")
    ok("POST" in wrong.headers.get("Allow", ""), f"Allow header: {wrong.headers}")
    m.call(None, "GET", C + "/capabilities", expect=401, errcode="M_MISSING_TOKEN")
    bad = m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami",
                 token="not-a-token", expect=401, errcode="M_UNKNOWN_TOKEN")
    ok("soft_logout" not in bad.body or bad.body["soft_logout"] is False, f"no soft logout: {bad}")
    flows = m.call(("login.yaml", "/login"), "GET", C + "/login")
    ok({"type": "m.login.password"} in flows.body["flows"], f"password login: {flows}")


def registration(m):
    m.call(None, "POST", C + "/register", b"{not json", expect=400, errcode="M_NOT_JSON")
    m.call(("registration.yaml", "/register"), "POST", C + "/register",
           {"username": 5, "password": PASSWORD}, expect=400, errcode="M_BAD_JSON")
    m.call(("registration.yaml", "/register"), "POST", C + "/register",
           {"username": "mxalice", "password": PASSWORD, "auth": {"type": "m.login.password"}},
           expect=401)
    m.call(None, "POST", C + "/register", {"password": PASSWORD}, query={"kind": "guest"},
           expect=403, errcode="M_FORBIDDEN")
    alice = register(m, "mxalice", device_id="ALICEPHONE", initial_device_display_name="phone",
                     refresh_token=True)
    ok(alice["user_id"] == "@mxalice:localhost", f"user id: {alice}")
    ok(alice["device_id"] == "ALICEPHONE", f"client-chosen device id: {alice}")
    ok(alice.get("refresh_token") and alice.get("expires_in_ms", 0) > 0, f"refresh asked: {alice}")
    dummy = {"type": "m.login.dummy"}
    m.call(("registration.yaml", "/register"), "POST", C + "/register",
           {"username": "MXALICE", "password": PASSWORD, "auth": dummy},
           expect=400, errcode="M_USER_IN_USE")
    m.call(("registration.yaml", "/register"), "POST", C + "/register",
           {"username": "no way!", "password": PASSWORD, "auth": dummy},
           expect=400, errcode="M_INVALID_USERNAME")
    m.call(("registration.yaml", "/register"), "POST", C + "/register",
           {"username": "mxweak", "password": "short", "auth": dummy},
           expect=400, errcode="M_WEAK_PASSWORD")
    bob = m.call(("registration.yaml", "/register"), "POST", C + "/register",
                 {"username": "mxbob", "password": PASSWORD, "auth": dummy,
                  "inhibit_login": True}).body
    ok(bob == {"user_id": "@mxbob:localhost"}, f"inhibit_login gives no token: {bob}")
    # No refresh asked: no refresh token in the answer.
    plain = register(m, "mxdave")
    ok("refresh_token" not in plain and plain["access_token"], f"no refresh token: {plain}")
    avail = ("registration.yaml", "/register/available")
    m.call(avail, "GET", C + "/register/available", query={"username": "mxalice"},
           expect=400, errcode="M_USER_IN_USE")
    m.call(avail, "GET", C + "/register/available", query={"username": "Bad Name"},
           expect=400, errcode="M_INVALID_USERNAME")
    free = m.call(avail, "GET", C + "/register/available", query={"username": "mxfree"})
    ok(free.body == {"available": True}, f"available: {free}")
    return alice


def sessions(m, alice):
    token = alice["access_token"]
    who = m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami", token=token)
    ok(who.body["user_id"] == "@mxalice:localhost" and who.body["device_id"] == "ALICEPHONE",
       f"whoami: {who}")
    by_query = m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami",
                      query={"access_token": token})
    ok(by_query.body["user_id"] == "@mxalice:localhost", f"access_token parameter: {by_query}")
    r0 = m.call(("whoami.yaml", "/account/whoami"), "GET", R0 + "/account/whoami", token=token)
    ok(r0.body["device_id"] == "ALICEPHONE", f"r0 alias: {r0}")
    m.call(("capabilities.yaml", "/capabilities"), "GET", C + "/capabilities", token=token)

    # Login: localpart, full user id, legacy user field; refusals.
    b1 = login(m, "mxbob")
    ok(b1["user_id"] == "@mxbob:localhost" and b1["device_id"], f"login: {b1}")
    login(m, "@MXBOB:localhost")
    legacy = m.call(("login.yaml", "/login"), "POST", C + "/login",
                    {"type": "m.login.password", "user": "mxbob", "password": PASSWORD}).body
    ok(legacy["user_id"] == "@mxbob:localhost", f"legacy user: {legacy}")
    m.call(("login.yaml", "/login"), "POST", C + "/login",
           {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "mxbob"},
            "password": "wrong password"}, expect=403, errcode="M_FORBIDDEN")
    m.call(("login.yaml", "/login"), "POST", C + "/login",
           {"type": "m.login.password", "identifier": {"type": "m.id.user",
                                                       "user": "@mxbob:elsewhere.org"},
            "password": PASSWORD}, expect=403, errcode="M_FORBIDDEN")
    m.call(("login.yaml", "/login"), "POST", C + "/login",
           {"type": "m.login.token", "token": "x"}, expect=400, errcode="M_UNKNOWN")
    m.call(("login.yaml", "/login"), "POST", C + "/login",
           {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": 7},
            "password": PASSWORD}, expect=400, errcode="M_BAD_JSON")
    m.call(("login.yaml", "/login"), "POST", C + "/login", b"[]", expect=400,
           errcode="M_BAD_JSON")

    # An account of /v1 (with an email) logs in by its email address.
    v1 = m.raw("POST", "/v1/auth/register", {"username": "mxcarol", "email": "carol@example.com",
                                             "password": PASSWORD})
    ok(v1.status == 201, f"/v1 register: {v1}")
    carol = m.call(("login.yaml", "/login"), "POST", C + "/login",
                   {"type": "m.login.password",
                    "identifier": {"type": "m.id.thirdparty", "medium": "email",
                                   "address": "carol@example.com"},
                    "password": PASSWORD}).body
    ok(carol["user_id"] == "@mxcarol:localhost", f"email login: {carol}")

    # Refresh rotation; a reused refresh token ends the session.
    fresh = login(m, "mxbob", refresh_token=True)
    rotated = m.call(("refresh.yaml", "/refresh"), "POST", C + "/refresh",
                     {"refresh_token": fresh["refresh_token"]}).body
    ok(rotated["access_token"] != fresh["access_token"] and rotated["refresh_token"],
       f"refresh: {rotated}")
    m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami",
           token=rotated["access_token"])
    m.call(("refresh.yaml", "/refresh"), "POST", C + "/refresh",
           {"refresh_token": fresh["refresh_token"]}, expect=401, errcode="M_UNKNOWN_TOKEN")
    until_refused(m, rotated["access_token"])
    m.call(None, "POST", C + "/refresh", {}, expect=400, errcode="M_MISSING_PARAM")

    # The same account over /v1: the Matrix session is listed with its device id.
    v1_login = m.raw("POST", "/v1/auth/login", {"login": "mxalice", "password": PASSWORD})
    ok(v1_login.status == 200, f"/v1 login of a Matrix account: {v1_login}")
    listed = m.raw("GET", "/v1/sessions", token=v1_login.body["access_token"])
    devices = {s["device_id"]: s for s in listed.body["sessions"]}
    ok("ALICEPHONE" in devices and devices["ALICEPHONE"]["device_name"] == "phone",
       f"/v1/sessions lists the Matrix device: {listed}")
    me = m.raw("GET", "/v1/me", token=token)
    ok(me.status == 200 and me.body["username"] == "mxalice", f"/v1/me with a Matrix token: {me}")
    return me.body["user_id"]


def devices(m, alice):
    token = alice["access_token"]
    dm = "device_management.yaml"
    listed = m.call((dm, "/devices"), "GET", C + "/devices", token=token).body
    ids = [d["device_id"] for d in listed["devices"]]
    ok("ALICEPHONE" in ids, f"devices: {listed}")
    one = m.call((dm, "/devices/{deviceId}"), "GET", C + "/devices/ALICEPHONE", token=token).body
    ok(one["display_name"] == "phone", f"device: {one}")
    m.call((dm, "/devices/{deviceId}"), "PUT", C + "/devices/ALICEPHONE",
           {"display_name": "new phone"}, token=token)
    one = m.call((dm, "/devices/{deviceId}"), "GET", C + "/devices/ALICEPHONE", token=token).body
    ok(one["display_name"] == "new phone", f"renamed: {one}")
    m.call((dm, "/devices/{deviceId}"), "GET", C + "/devices/NOSUCH", token=token, expect=404,
           errcode="M_NOT_FOUND")
    m.call((dm, "/devices/{deviceId}"), "PUT", C + "/devices/NOSUCH", {"display_name": "x"},
           token=token, expect=404, errcode="M_NOT_FOUND")
    m.call(None, "PUT", C + "/devices/ALICEPHONE", {"display_name": 3}, token=token,
           expect=400, errcode="M_BAD_JSON")
    # Another user's device is not ours.
    bob = login(m, "mxbob", device_id="BOBDEVICE")
    m.call((dm, "/devices/{deviceId}"), "GET", C + "/devices/BOBDEVICE", token=token,
           expect=404, errcode="M_NOT_FOUND")

    # DELETE: UIA with the password; the device's session ends.
    laptop = login(m, "mxalice", device_id="ALICELAPTOP")
    path = C + "/devices/ALICELAPTOP"
    first = m.call((dm, "/devices/{deviceId}"), "DELETE", path, {}, token=token, expect=401)
    ok({"stages": ["m.login.password"]} in first.body["flows"], f"password stage: {first}")
    wrong = m.call((dm, "/devices/{deviceId}"), "DELETE", path,
                   {"auth": {"type": "m.login.password", "session": first.body["session"],
                             "identifier": {"type": "m.id.user", "user": "mxalice"},
                             "password": "not it at all"}}, token=token, expect=401)
    ok(wrong.body.get("errcode") == "M_FORBIDDEN", f"wrong password: {wrong}")
    m.call((dm, "/devices/{deviceId}"), "DELETE", path,
           {"auth": {"type": "m.login.password", "session": first.body["session"],
                     "identifier": {"type": "m.id.user", "user": "@mxalice:localhost"},
                     "password": PASSWORD}}, token=token)
    m.call(None, "GET", C + "/account/whoami", token=laptop["access_token"], expect=401,
           errcode="M_UNKNOWN_TOKEN")
    # Someone else's password does not pass.
    m.call((dm, "/devices/{deviceId}"), "DELETE", C + "/devices/ALICEPHONE",
           {"auth": {"type": "m.login.password",
                     "identifier": {"type": "m.id.user", "user": "mxbob"},
                     "password": PASSWORD}}, token=token, expect=401)

    # delete_devices: several at once, unknown ids skipped.
    t1 = login(m, "mxalice", device_id="ALICET1")
    t2 = login(m, "mxalice", device_id="ALICET2")
    m.call((dm, "/delete_devices"), "POST", C + "/delete_devices",
           {"devices": ["ALICET1", "ALICET2", "NOSUCH"],
            "auth": {"type": "m.login.password", "user": "mxalice", "password": PASSWORD}},
           token=token)
    for t in (t1, t2):
        m.call(None, "GET", C + "/account/whoami", token=t["access_token"], expect=401,
               errcode="M_UNKNOWN_TOKEN")
    m.call(None, "POST", C + "/delete_devices", {"devices": "ALICET1"}, token=token,
           expect=400, errcode="M_BAD_JSON")
    # A login that reuses a device id replaces that device's session.
    again = login(m, "mxbob", device_id="BOBDEVICE")
    until_refused(m, bob["access_token"])
    return again


def profile(m, alice, bob, alice_uuid):
    token = alice["access_token"]
    pf = "profile.yaml"
    me = "@mxalice:localhost"
    m.call((pf, "/profile/{userId}/{keyName}"), "PUT", C + f"/profile/{me}/displayname",
           {"displayname": "Alice A."}, token=token)
    m.call((pf, "/profile/{userId}/{keyName}"), "PUT", C + f"/profile/{me}/avatar_url",
           {"avatar_url": "mxc://localhost/abc"}, token=token)
    whole = m.call((pf, "/profile/{userId}"), "GET", C + f"/profile/{me}", token=token).body
    ok(whole == {"displayname": "Alice A.", "avatar_url": "mxc://localhost/abc"},
       f"profile: {whole}")
    name = m.call((pf, "/profile/{userId}/{keyName}"), "GET", C + f"/profile/{me}/displayname",
                  token=bob["access_token"]).body
    ok(name == {"displayname": "Alice A."}, f"displayname: {name}")
    # The /v1 profile is the same one.
    v1 = m.raw("GET", f"/v1/users/{alice_uuid}/profile", token=token)
    ok(v1.body["display_name"] == "Alice A.", f"/v1 profile: {v1}")
    m.call((pf, "/profile/{userId}/{keyName}"), "PUT", C + "/profile/@mxbob:localhost/displayname",
           {"displayname": "not yours"}, token=token, expect=403, errcode="M_FORBIDDEN")
    m.call((pf, "/profile/{userId}/{keyName}"), "PUT", C + f"/profile/{me}/avatar_url",
           {"avatar_url": "javascript:alert(1)"}, token=token, expect=400)
    m.call((pf, "/profile/{userId}/{keyName}"), "PUT", C + f"/profile/{me}/displayname",
           {"displayname": 12}, token=token, expect=400, errcode="M_BAD_JSON")
    m.call((pf, "/profile/{userId}"), "GET", C + "/profile/@nobody:localhost", token=token,
           expect=404, errcode="M_NOT_FOUND")
    m.call((pf, "/profile/{userId}"), "GET", C + "/profile/@mxbob:elsewhere.org", token=token,
           expect=404, errcode="M_NOT_FOUND")
    m.call(None, "GET", C + "/profile/not-a-user-id", token=token, expect=400,
           errcode="M_INVALID_PARAM")
    m.call(None, "GET", C + f"/profile/{me}/bio", token=token, expect=404,
           errcode="M_UNRECOGNIZED")
    m.call((pf, "/profile/{userId}/{keyName}"), "DELETE", C + f"/profile/{me}/avatar_url",
           token=token)
    whole = m.call((pf, "/profile/{userId}"), "GET", C + f"/profile/{me}", token=token).body
    ok(whole == {"displayname": "Alice A."}, f"avatar removed: {whole}")


def password_and_logout(m, alice):
    token = alice["access_token"]
    pm = ("password_management.yaml", "/account/password")
    other = login(m, "mxalice")
    first = m.call(pm, "POST", C + "/account/password", {"new_password": "a new good password"},
                   token=token, expect=401)
    ok({"stages": ["m.login.password"]} in first.body["flows"], f"password flows: {first}")
    wrong = m.call(pm, "POST", C + "/account/password",
                   {"new_password": "a new good password",
                    "auth": {"type": "m.login.password", "user": "mxalice", "password": "nope"}},
                   token=token, expect=401)
    ok(wrong.body.get("errcode") == "M_FORBIDDEN", f"wrong old password: {wrong}")
    m.call(None, "POST", C + "/account/password",
           {"new_password": "short", "auth": {"type": "m.login.password", "password": PASSWORD}},
           token=token, expect=400, errcode="M_WEAK_PASSWORD")
    m.call(pm, "POST", C + "/account/password",
           {"new_password": "a new good password",
            "auth": {"type": "m.login.password", "user": "mxalice", "password": PASSWORD}},
           token=token)
    # Other devices are logged out; this one stays.
    m.call(None, "GET", C + "/account/whoami", token=other["access_token"], expect=401,
           errcode="M_UNKNOWN_TOKEN")
    m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami", token=token)
    m.call(("login.yaml", "/login"), "POST", C + "/login",
           {"type": "m.login.password", "user": "mxalice", "password": PASSWORD},
           expect=403, errcode="M_FORBIDDEN")
    a2 = login(m, "mxalice", password="a new good password")
    a3 = login(m, "mxalice", password="a new good password")

    m.call(("logout.yaml", "/logout"), "POST", C + "/logout", {}, token=a2["access_token"])
    m.call(None, "GET", C + "/account/whoami", token=a2["access_token"], expect=401,
           errcode="M_UNKNOWN_TOKEN")
    m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami",
           token=a3["access_token"])
    m.call(("logout.yaml", "/logout/all"), "POST", C + "/logout/all", {}, token=token)
    for t in (token, a3["access_token"]):
        m.call(None, "GET", C + "/account/whoami", token=t, expect=401, errcode="M_UNKNOWN_TOKEN")
    m.call(None, "POST", C + "/logout", {}, expect=401, errcode="M_MISSING_TOKEN")


def limits(m):
    """Failed logins of one account end in M_LIMIT_EXCEEDED with a retry hint."""
    register(m, "mxflood")
    body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "mxflood"},
            "password": "wrong guess"}
    for _ in range(40):
        reply = m.raw("POST", C + "/login", body)
        if reply.status == 429:
            m.spec.check("login.yaml", "/login", "post", 429, reply.body)
            ok(reply.body["errcode"] == "M_LIMIT_EXCEEDED" and reply.body["retry_after_ms"] > 0,
               f"limit: {reply}")
            ok(int(reply.headers["Retry-After"]) >= 1, f"Retry-After: {reply.headers}")
            return
        ok(reply.status == 403, f"wrong password: {reply}")
    raise AssertionError("no M_LIMIT_EXCEEDED after 40 failed logins")


def too_large(m):
    reply = m.raw("POST", C + "/login", b'{"x": "' + b"a" * (1 << 20) + b'"}')
    ok(reply.status == 413 and reply.body["errcode"] == "M_TOO_LARGE", f"too large: {reply}")


def cors(m, origin):
    """The spec's CORS: any origin, on preflights (even of unknown endpoints)
    and answers (errors included). /v1 keeps MESSENGER_CORS_ORIGINS."""
    for path in (C + "/login", C + "/no/such/endpoint"):
        pre = m.raw("OPTIONS", path, headers={"Origin": origin,
                                              "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers":
                                                  "Authorization, Content-Type"})
        ok(pre.status == 204 and pre.headers.get("Access-Control-Allow-Origin") == "*",
           f"preflight of {path}: {pre.status} {pre.headers}")
        allowed = pre.headers.get("Access-Control-Allow-Methods", "")
        ok("POST" in allowed and "GET" in allowed, f"methods: {allowed}")
        ok("Authorization" in pre.headers.get("Access-Control-Allow-Headers", ""),
           f"headers: {pre.headers}")
    for path in ("/_matrix/client/versions", C + "/account/whoami"):
        got = m.raw("GET", path, headers={"Origin": origin})
        ok(got.headers.get("Access-Control-Allow-Origin") == "*", f"CORS on {path}: {got.headers}")
    v1 = m.raw("GET", "/v1/me", headers={"Origin": "http://not-listed.example"})
    ok("Access-Control-Allow-Origin" not in v1.headers, f"/v1 keeps its list: {v1.headers}")


def open_mode(m, args):
    discovery(m, args.public_url or args.base)
    alice = registration(m)
    alice_uuid = sessions(m, alice)
    bob = devices(m, alice)
    profile(m, alice, bob, alice_uuid)
    password_and_logout(m, alice)
    limits(m)
    too_large(m)
    if args.cors_origin:
        cors(m, args.cors_origin)


def token_mode(m, args):
    reg = ("registration.yaml", "/register")
    first = m.call(reg, "POST", C + "/register", {"username": "mxtok", "password": PASSWORD},
                   expect=401)
    ok(first.body["flows"] == [{"stages": ["m.login.registration_token"]}], f"flows: {first}")
    m.call(reg, "POST", C + "/register",
           {"username": "mxtok", "password": PASSWORD, "auth": {"type": "m.login.dummy"}},
           expect=401)
    bad = m.call(reg, "POST", C + "/register",
                 {"username": "mxtok", "password": PASSWORD,
                  "auth": {"type": "m.login.registration_token", "token": "guess",
                           "session": first.body["session"]}}, expect=401)
    ok(bad.body.get("errcode") == "M_FORBIDDEN" and bad.body["session"] == first.body["session"],
       f"wrong token: {bad}")
    done = m.call(reg, "POST", C + "/register",
                  {"username": "mxtok", "password": PASSWORD, "refresh_token": True,
                   "auth": {"type": "m.login.registration_token", "token": args.token,
                            "session": first.body["session"]}}).body
    # Soft logout: the access token expires (short TTL here), refresh revives.
    deadline = time.monotonic() + 30
    while True:
        reply = m.raw("GET", C + "/account/whoami", token=done["access_token"])
        if reply.status == 401:
            break
        ok(time.monotonic() < deadline, "the access token never expired")
        time.sleep(0.2)
    m.spec.check("whoami.yaml", "/account/whoami", "get", 401, reply.body)
    ok(reply.body["errcode"] == "M_UNKNOWN_TOKEN" and reply.body.get("soft_logout") is True,
       f"soft logout: {reply}")
    fresh = m.call(("refresh.yaml", "/refresh"), "POST", C + "/refresh",
                   {"refresh_token": done["refresh_token"]}).body
    m.call(("whoami.yaml", "/account/whoami"), "GET", C + "/account/whoami",
           token=fresh["access_token"])


def disabled_mode(m, args):
    m.call(("registration.yaml", "/register"), "POST", C + "/register",
           {"username": "mxnope", "password": PASSWORD}, expect=403, errcode="M_FORBIDDEN")


def token_validity(m, args):
    """GET /v1/register/m.login.registration_token/validity (spec v1.2)."""
    path = "/_matrix/client/v1/register/m.login.registration_token/validity"
    spec = ("registration_tokens.yaml", "/register/m.login.registration_token/validity")
    if args.mode != "token":
        m.call(spec, "GET", path, query={"token": "x"}, expect=403, errcode="M_FORBIDDEN")
        return
    good = m.call(spec, "GET", path, query={"token": args.token}).body
    bad = m.call(spec, "GET", path, query={"token": args.token + "x"}).body
    ok(good == {"valid": True} and bad == {"valid": False}, f"validity: {good} {bad}")
    m.call(None, "GET", path, expect=400, errcode="M_MISSING_PARAM")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--mode", choices=["open", "token", "disabled"], default="open")
    parser.add_argument("--token", default="")
    parser.add_argument("--cors-origin", default="")
    parser.add_argument("--public-url", default="", help="what .well-known must announce")
    args = parser.parse_args()
    m = MatrixHttp(args.base)
    {"open": open_mode, "token": token_mode, "disabled": disabled_mode}[args.mode](m, args)
    token_validity(m, args)
    print(f"ok: {args.mode} mode, {m.checked} answers validated against the spec")
    return 0


if __name__ == "__main__":
    sys.exit(main())
