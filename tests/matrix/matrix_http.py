"""A small HTTP client for the Matrix tests (standard library only): every
answer's JSON body is checked against the spec schema of its endpoint. Also
the helpers every Matrix test uses: checks, bounded polling, accounts."""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from validate_response import SpecValidator

C = "/_matrix/client/v3"
PASSWORD = "correct horse battery"
CREATE = ("create_room.yaml", "/createRoom")


def q(text):
    """`text` as one path segment."""
    return urllib.parse.quote(text, safe="")



class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self):
        return f"{self.status} {json.dumps(self.body)[:300]}"


class MatrixHttp:
    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.spec = SpecValidator()
        self.checked = 0

    def raw(self, method, path, body=None, token=None, headers=None, query=None):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, hdrs, text = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, dict(e.headers), e.read()
        parsed = json.loads(text) if text else None
        return Reply(status, hdrs, parsed)

    def call(self, spec, method, path, body=None, token=None, expect=200, headers=None,
             query=None, errcode=None):
        """Sends, checks the status (and errcode), validates against
        spec = (api file, spec path); returns the Reply."""
        reply = self.raw(method, path, body, token, headers, query)
        if reply.status != expect:
            raise AssertionError(f"{method} {path}: expected {expect}, got {reply}")
        if errcode is not None:
            got = (reply.body or {}).get("errcode")
            if got != errcode:
                raise AssertionError(f"{method} {path}: expected {errcode}, got {reply}")
        if spec is not None:
            self.spec.check(spec[0], spec[1], method, reply.status, reply.body)
            self.checked += 1
        return reply


def ok(condition, what):
    if not condition:
        raise AssertionError(what)


def account(m, username):
    """Registers (m.login.dummy) and returns {token, user_id, uuid}."""
    first = m.raw("POST", C + "/register", {"username": username, "password": PASSWORD})
    ok(first.status == 401, f"register flows: {first}")
    done = m.raw("POST", C + "/register",
                 {"username": username, "password": PASSWORD,
                  "auth": {"type": "m.login.dummy", "session": first.body["session"]}})
    ok(done.status == 200, f"register: {done}")
    me = m.raw("GET", "/v1/me", token=done.body["access_token"])
    ok(me.status == 200, f"/v1/me: {me}")
    return {"token": done.body["access_token"], "user_id": done.body["user_id"],
            "uuid": me.body["user_id"]}


def befriend(m, a, b):
    # One registered a moment ago is known at once: contact-service asks
    # auth when its user.created has not arrived yet.
    asked = m.raw("POST", "/v1/contacts/requests", {"user_id": b["uuid"]}, token=a["token"])
    ok(asked.status in (200, 201), f"contact request: {asked}")
    accepted = m.raw("POST", f"/v1/contacts/requests/{a['uuid']}/accept", {}, token=b["token"])
    ok(accepted.status == 200, f"accept: {accepted}")


def until(what, fn, deadline_s=20):
    """Polls fn until it returns a truthy value (bounded)."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = fn()
        if value:
            return value
        ok(time.monotonic() < deadline, f"{what}: not within {deadline_s} s")
        time.sleep(0.1)


def metric(m, name):
    """The sum of a metric's samples on m's /metrics (0 when absent)."""
    with urllib.request.urlopen(m.base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.split("{")[0].split(" ")[0] == name)
